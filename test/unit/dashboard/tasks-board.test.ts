import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TaskNotifier, type TaskPoster } from '../../../src/tasks/notifier.ts';
import { board, BOT, cards, ceo, colleague, column, elsewhere, ic1, ic2, manager, org } from './tasks-fixture.ts';

describe('dashboard tasks board', () => {
  it('shows a column per status with each card\'s id, kind, title, assignee link, priority and due', async () => {
    const { service, signIn } = board();
    const me = { id: ceo.matrixId };
    const inbox = service.create(me, { title: 'Nobody has this yet', kind: 'story' });
    const assigned = service.create(me, { title: 'Plan the <migration>', assignee: manager.matrixId, kind: 'epic', priority: 'urgent', due: '2027-01-15' });
    const working = service.create(me, { title: 'Write the runbook', assignee: ic1.matrixId });
    service.setStatus(me, working.id, 'in_progress');
    const reviewed = service.create(me, { title: 'Review the schema', assignee: ic2.matrixId });
    service.setStatus(me, reviewed.id, 'in_progress');
    service.setStatus(me, reviewed.id, 'review');
    const stuck = service.create(me, { title: 'Order the servers', assignee: ic1.matrixId });
    service.setStatus(me, stuck.id, 'blocked', { reason: 'waiting for budget' });
    const finished = service.create(me, { title: 'Kick-off meeting', assignee: ic2.matrixId });
    service.setStatus(me, finished.id, 'in_progress');
    service.setStatus(me, finished.id, 'done');

    const { text } = await signIn(ceo.localpart);
    const html = await text('/tasks');
    expect(html).toContain('href="/dashboard/tasks" class="active">Tasks</a>');
    const expected = { inbox, assigned, in_progress: working, review: reviewed, blocked: stuck, done: finished };
    for (const [status, task] of Object.entries(expected)) expect(cards(column(html, status))).toEqual([`T-${task.id}`]);
    const card = column(html, 'assigned');
    expect(card).toContain('Plan the &lt;migration&gt;'); // escaped
    expect(card).toContain('>epic<');
    expect(card).toContain('>urgent<');
    expect(card).toContain('due 2027-01-15');
    expect(card).toContain(`href="/dashboard/org/people/${manager.localpart}">${manager.name}</a>`);
    expect(column(html, 'inbox')).toContain('unassigned');
    expect(column(html, 'blocked')).toContain('waiting for budget');
    // Other pages link to the board too.
    expect(await text('/agents')).toContain('href="/dashboard/tasks"');
  });

  it('filters by assignee, department and text; an unknown person or department is said, not a crash', async () => {
    const { service, signIn } = board();
    const me = { id: ceo.matrixId };
    const a = service.create(me, { title: 'Migrate billing database', assignee: ic1.matrixId });
    const b = service.create(me, { title: 'Migrate search index', assignee: ic2.matrixId, description: 'the nightly rebuild too' });
    const c = service.create(me, { title: 'Hire two designers', assignee: elsewhere.matrixId });
    const d = service.create(me, { title: 'Unowned idea' });
    const { text, get } = await signIn(ceo.localpart);
    const shown = async (qs: string) => cards(await text(`/tasks?${qs}`)).sort();
    const ids = (...ts: Array<{ id: number }>) => ts.map((t) => `T-${t.id}`).sort();

    expect(await shown(`assignee=${ic1.localpart}`)).toEqual(ids(a));
    expect(await shown(`assignee=${encodeURIComponent(ic2.matrixId)}`)).toEqual(ids(b));
    expect(await shown('assignee=nobody')).toEqual(ids(d));
    expect(await shown(`department=${encodeURIComponent(manager.department.toLowerCase())}`)).toEqual(ids(a, b));
    expect(await shown('q=migrate')).toEqual(ids(a, b));
    expect(await shown('q=nightly+REBUILD')).toEqual(ids(b));
    expect(await shown(`q=migrate&department=${encodeURIComponent(elsewhere.department)}`)).toEqual([]);
    const unknown = await get('/tasks?assignee=no.such.person');
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toContain('nobody in the org is &quot;no.such.person&quot;');
    expect(await text('/tasks?department=Astrology')).toContain('there is no department');
    expect(cards(await text('/tasks?department=Astrology'))).toEqual([]);
  });

  it('thousands of tasks: each column shows its first 20 and "N more" links to the column alone, paged', async () => {
    const { service, store, signIn } = board();
    const me = { id: ceo.matrixId };
    store.transaction(() => {
      for (let i = 0; i < 2500; i++) service.create(me, { title: `Backlog item ${i}`, ...(i % 5 === 0 ? { assignee: ic1.matrixId } : {}) });
    });
    const { text, get } = await signIn(ceo.localpart);
    const html = await text('/tasks');
    expect(cards(column(html, 'inbox'))).toHaveLength(20);
    expect(cards(column(html, 'assigned'))).toHaveLength(20);
    expect(column(html, 'inbox')).toContain('href="/dashboard/tasks?status=inbox">1,980 more →</a>');
    expect(column(html, 'assigned')).toContain('480 more →');
    expect(html.length).toBeLessThan(100_000);
    expect(cards(await text('/tasks?limit=50'))).toHaveLength(100);

    const first = await text('/tasks?status=inbox');
    expect(cards(first)).toHaveLength(100);
    expect(first).toContain('2,000 inbox task(s), page 1 of 20');
    const last = await text('/tasks?status=inbox&page=20');
    expect(cards(last)).toHaveLength(100);
    expect(last).toContain('rel="prev"');
    expect(last).not.toContain('rel="next"');
    // Pages do not overlap, and a filter travels into the "more" link.
    expect(cards(last).filter((id) => cards(first).includes(id))).toEqual([]);
    const mine = await text(`/tasks?assignee=${ic1.localpart}&limit=5`);
    expect(column(mine, 'assigned')).toContain(`href="/dashboard/tasks?assignee=${ic1.localpart}&amp;status=assigned">495 more`);
    expect((await get(`/tasks?status=assigned&assignee=${ic1.localpart}`)).status).toBe(200);
  });

  it('one task\'s page: its parent, children, comments and history; an unknown one is 404', async () => {
    const { service, signIn } = board();
    const epic = service.create({ id: ceo.matrixId }, { title: 'Platform migration', kind: 'epic', assignee: manager.matrixId, description: 'Move everything\nby March' });
    const one = service.create({ id: manager.matrixId }, { title: 'Move the queue', parent: epic.id, assignee: ic1.matrixId });
    service.create({ id: manager.matrixId }, { title: 'Move the cache', parent: epic.id, assignee: ic2.matrixId });
    service.comment({ id: ic1.matrixId }, epic.id, 'The queue needs a <maintenance> window');
    service.setStatus({ id: manager.matrixId }, epic.id, 'in_progress', { note: 'started' });

    const { text, get } = await signIn(ceo.localpart);
    const page = await text(`/tasks/T-${epic.id}`);
    expect(page).toContain('Platform migration');
    expect(page).toContain('Move everything\nby March');
    expect(cards(page)).toEqual([`T-${one.id}`, `T-${one.id + 1}`]);
    expect(page).toContain('The queue needs a &lt;maintenance&gt; window');
    expect(page).toContain(`href="/dashboard/org/people/${ic1.localpart}">${ic1.name}</a>`);
    expect(page).toMatch(/<ul class="history">[\s\S]*created it[\s\S]*assigned → in_progress — started/);
    const child = await text(`/tasks/T-${one.id}`);
    expect(child).toContain(`href="/dashboard/tasks/T-${epic.id}">T-${epic.id} Platform migration</a>`);
    // A large epic: its page shows the first 50 children and links to the board filtered by parent.
    for (let i = 0; i < 60; i++) service.create({ id: manager.matrixId }, { title: `More work ${i}`, parent: epic.id });
    const big = await text(`/tasks/T-${epic.id}`);
    expect(cards(big)).toHaveLength(50);
    expect(big).toContain(`Children (62) <a class="small" href="/dashboard/tasks?parent=T-${epic.id}">first 50 here; all on the board →</a>`);
    const children = await text(`/tasks?parent=T-${epic.id}`);
    expect(column(children, 'inbox')).toContain('40 more');
    expect(cards(column(children, 'assigned'))).toEqual([`T-${one.id}`, `T-${one.id + 1}`]);
    expect(column(children, 'inbox')).toContain(`href="/dashboard/tasks?parent=T-${epic.id}&amp;status=inbox"`);
    expect((await get('/tasks?parent=banana')).status).toBe(200);
    expect(await text('/tasks?parent=banana')).toContain('the parent is a task id like T-3');
    expect((await get('/tasks/T-999')).status).toBe(404);
    expect((await get('/tasks/nonsense')).status).toBe(404);
  });

  it('the JSON API: the same filters, limit and offset, x-total-count, and one task with children and history', async () => {
    const { service, signIn } = board();
    const me = { id: ceo.matrixId };
    const epic = service.create(me, { title: 'Quarterly plan', kind: 'epic', assignee: manager.matrixId });
    for (let i = 0; i < 30; i++) service.create(me, { title: `Step ${i}`, parent: epic.id, assignee: i % 2 ? ic1.matrixId : ic2.matrixId });
    const { get } = await signIn(ceo.localpart);

    const all = await get('/api/tasks');
    expect(all.headers.get('x-total-count')).toBe('31');
    expect(await all.json()).toHaveLength(31);
    const page = await get(`/api/tasks?assignee=${ic1.localpart}&limit=10&offset=10`);
    expect(page.headers.get('x-total-count')).toBe('15');
    const items = await page.json() as Array<{ ref: string; assignee: string; assigneeName: string; creatorName: string; originRoom?: unknown }>;
    expect(items).toHaveLength(5);
    expect(items[0]).toMatchObject({ assignee: ic1.matrixId, assigneeName: ic1.name, creatorName: ceo.name });
    expect(items[0]).not.toHaveProperty('originRoom');
    expect((await get('/api/tasks?status=assigned,done')).headers.get('x-total-count')).toBe('31');
    expect((await get('/api/tasks?status=done')).headers.get('x-total-count')).toBe('0');
    expect((await get(`/api/tasks?department=${encodeURIComponent(manager.department)}&q=step+27`)).headers.get('x-total-count')).toBe('1');
    const bad = await get('/api/tasks?status=finished');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/status is one of/);

    const one = await (await get(`/api/tasks/T-${epic.id}`)).json() as { ref: string; children: unknown[]; history: Array<{ action: string }> };
    expect(one.ref).toBe(`T-${epic.id}`);
    expect(one.children).toHaveLength(30);
    expect(one).toMatchObject({ childCount: 30 });
    expect((await get(`/api/tasks?parent=T-${epic.id}&limit=5`)).headers.get('x-total-count')).toBe('30');
    expect(one.history[0]!.action).toBe('created');
    expect((await get(`/api/tasks/${epic.id}`)).status).toBe(200);
    expect((await get('/api/tasks/T-404')).status).toBe(404);
    // Without a session: 401.
    const { app } = board();
    expect((await app.request('/dashboard/api/tasks')).status).toBe(401);
  });

  it('a signed-in human creates a task through the form, as themselves; the assignee is told, and later the creator in a DM with the bot', async () => {
    const { service, store, signIn } = board();
    const sent: Array<{ sender: string; roomId: string; body: string; msgtype: unknown }> = [];
    const poster: TaskPoster = {
      send: async (sender, roomId, content) => { sent.push({ sender, roomId, body: String(content.body), msgtype: content.msgtype }); return `$e${sent.length}`; },
      teamRoom: async () => undefined,
      directRoom: async (a, b) => `!dm:${a}:${b}`,
    };
    const notifier = new TaskNotifier({ store, org, botId: BOT, poster, log: pino({ level: 'silent' }) });

    const browser = await signIn(colleague.localpart);
    const res = await browser.post({ csrf: await browser.csrf(), title: 'Prepare the board deck', kind: 'feature', assignee: manager.name,
      priority: 'high', due: '2027-02-01', description: 'Numbers for Q4' });
    expect(res.status).toBe(303);
    const [task] = store.list({});
    expect(res.headers.get('location')).toBe(`/dashboard/tasks/T-${task!.id}?created=1`);
    expect(task).toMatchObject({ title: 'Prepare the board deck', kind: 'feature', creator: colleague.matrixId, assignee: manager.matrixId,
      status: 'assigned', priority: 'high', due: '2027-02-01', description: 'Numbers for Q4', originRoom: null });
    expect(await browser.text(`/tasks/T-${task!.id}?created=1`)).toContain(`Created T-${task!.id}. ${manager.name} is told now.`);

    notifier.kick();
    await notifier.idle();
    expect(sent).toEqual([expect.objectContaining({ sender: BOT, msgtype: 'm.text', body: expect.stringContaining(`${colleague.name} assigned you T-${task!.id}`) })]);
    service.setStatus({ id: manager.matrixId }, task!.id, 'in_progress');
    service.setStatus({ id: manager.matrixId }, task!.id, 'done', { note: 'deck attached' });
    notifier.kick();
    await notifier.idle();
    // No room to answer in: the creator hears it in their direct chat with the bot.
    expect(sent[1]).toMatchObject({ sender: BOT, roomId: `!dm:${BOT}:${colleague.matrixId}`, msgtype: 'm.notice' });
    expect(sent[1]!.body).toContain('deck attached');
    await notifier.close();

    // "me" and an empty assignee: the creator's own task, and the inbox.
    await browser.post({ csrf: await browser.csrf(), title: 'Mine', assignee: 'me' });
    await browser.post({ csrf: await browser.csrf(), title: 'For anyone' });
    expect(store.list({ text: 'mine' })[0]).toMatchObject({ assignee: colleague.matrixId, creator: colleague.matrixId });
    expect(store.list({ text: 'anyone' })[0]).toMatchObject({ assignee: null, status: 'inbox' });
  });

  it('a refused create (TaskError) shows on the board with 400 and keeps what was typed', async () => {
    const { store, signIn } = board();
    const browser = await signIn(ceo.localpart);
    const refused = async (fields: Record<string, string>, message: string) => {
      const res = await browser.post({ csrf: await browser.csrf(), ...fields });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain('class="column" data-status="inbox"');
      return html;
    };
    const html = await refused({ title: 'Ship it', due: 'next friday', description: 'keep <this>' }, 'due must be a date, YYYY-MM-DD');
    expect(html).toContain('value="Ship it"');
    expect(html).toContain('keep &lt;this&gt;</textarea>');
    await refused({ title: 'Ship it', assignee: 'Nobody McNoone' }, 'nobody in the org is &quot;Nobody McNoone&quot;');
    await refused({ title: '   ' }, 'a task needs a title');
    await refused({ title: 'x', kind: 'saga' }, 'the kind is one of epic, feature, story, task');
    await refused({ title: 'x', parent: 'T-77' }, 'there is no parent T-77');
    expect(store.list({})).toEqual([]);
  });

  it('refuses a create without a session, with a bearer token instead of the cookie, without the session\'s token, or cross-site', async () => {
    const { app, store, signIn } = board();
    const form = { title: 'Sneaky', assignee: manager.matrixId };
    const anonymous = await app.request('/dashboard/tasks', { method: 'POST', body: new URLSearchParams(form) });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toContain('/dashboard/login');

    const login = await app.request('/dashboard/api/login', { method: 'POST', body: JSON.stringify({ user: ceo.localpart, password: 'pw' }) });
    const { token } = await login.json() as { token: string };
    const browser = await signIn(ceo.localpart);
    const csrf = await browser.csrf();
    // A script reads the board with its bearer token, but the form is the browser's: even with that session's own token.
    const scripted = await (await app.request('/dashboard/tasks', { headers: { authorization: `Bearer ${token}` } })).text();
    const scriptCsrf = scripted.match(/name="csrf" value="([^"]+)"/)![1]!;
    expect(scriptCsrf).not.toBe(csrf);
    const bearer = await app.request('/dashboard/tasks', { method: 'POST', body: new URLSearchParams({ ...form, csrf: scriptCsrf }), headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(403);

    expect((await browser.post(form)).status).toBe(403); // no token
    expect((await browser.post({ ...form, csrf: 'forged' })).status).toBe(403);
    const other = await signIn(colleague.localpart);
    expect((await browser.post({ ...form, csrf: await other.csrf() })).status).toBe(403); // another session's token
    // A page elsewhere that got hold of the token: the browser marks its request cross-site.
    expect((await browser.post({ ...form, csrf }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(403);
    expect(store.list({})).toEqual([]);
    expect((await browser.post({ ...form, csrf })).status).toBe(303);
    expect(store.list({})).toHaveLength(1);
  });

  it('a dashboard without the tasks service has no Tasks page and no link to one', async () => {
    const { signIn } = board({ tasks: false });
    const { get, text } = await signIn(ceo.localpart);
    expect(await text('/agents')).not.toContain('/dashboard/tasks');
    expect((await get('/tasks')).status).toBe(404);
    expect((await get('/api/tasks')).status).toBe(404);
  });
});
