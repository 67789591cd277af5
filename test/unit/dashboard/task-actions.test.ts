import { describe, expect, it } from 'vitest';
import { board, BOT, ceo, colleague, ic1, ic2, manager, org } from './tasks-fixture.ts';

/** The forms on a task's page: status, assignment and comments as the signed-in human, under the service's rules. */

/** The HTML of one of the task page's forms. */
const form = (html: string, action: string) => {
  const at = html.indexOf(`data-action="${action}"`);
  expect(at, `form ${action}`).toBeGreaterThan(-1);
  return html.slice(at, html.indexOf('</form>', at));
};
const options = (html: string) => [...form(html, 'status').matchAll(/<option value="([a-z_]+)"/g)].map((m) => m[1]);

/** The CEO (manager of everyone) signed in, and a task of theirs for an engineer. */
async function ceoWithTask() {
  const b = board();
  const task = b.service.create({ id: ceo.matrixId }, { title: 'Write the runbook', assignee: ic1.matrixId });
  const browser = await b.signIn(ceo.localpart);
  const csrf = await browser.csrf();
  const at = `/tasks/T-${task.id}`;
  const act = (action: string, fields: Record<string, string>, headers: Record<string, string> = {}) => browser.postTo(`${at}/${action}`, { csrf, ...fields }, headers);
  return { ...b, task, browser, csrf, at, act };
}

describe('dashboard task page: status, assign, comment', () => {
  it('offers the moves the flow allows from the current status, and says when none is possible without an assignee', async () => {
    const { service, browser, task, at } = await ceoWithTask();
    expect(options(await browser.text(at))).toEqual(['in_progress', 'blocked']); // assigned → inbox needs unassigning instead
    service.setStatus({ id: ceo.matrixId }, task.id, 'in_progress');
    expect(options(await browser.text(at))).toEqual(['review', 'done', 'assigned', 'blocked']);
    const inbox = service.create({ id: ceo.matrixId }, { title: 'For anyone' });
    const page = await browser.text(`/tasks/T-${inbox.id}`);
    expect(options(page)).toEqual(['blocked']);
    expect(form(page, 'assign')).toContain('Assign to');
    expect(page).toContain(`action="/dashboard/tasks/T-${inbox.id}/status" data-action="status"`);
  });

  it('moves a task as the signed-in human: 303 back to its page, the history names them; blocked keeps its reason', async () => {
    const { store, task, browser, act, at } = await ceoWithTask();
    const res = await act('status', { status: 'in_progress', note: 'starting today' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/dashboard/tasks/T-${task.id}?changed=status`);
    expect(await browser.text(res.headers.get('location')!.replace('/dashboard', ''))).toContain(`<p class="card notice" role="status">T-${task.id} is now in progress.</p>`);
    expect(store.get(task.id)).toMatchObject({ status: 'in_progress', version: task.version + 1 });
    expect(store.history(task.id).at(-1)).toMatchObject({ actor: ceo.matrixId, action: 'status', from: 'assigned', to: 'in_progress', note: 'starting today' });
    expect(await browser.text(at)).toMatch(/<ul class="history">[\s\S]*assigned → in_progress — starting today/);

    expect((await act('status', { status: 'blocked', note: 'waiting for the vendor' })).status).toBe(303);
    expect(store.get(task.id)).toMatchObject({ status: 'blocked', blockedReason: 'waiting for the vendor' });
    expect(await browser.text(at)).toContain('<dd class="error">waiting for the vendor</dd>');
  });

  it('a refused move shows on the page with 400, keeps what was typed, and changes nothing', async () => {
    const { store, task, act } = await ceoWithTask();
    const refused = async (fields: Record<string, string>, message: string) => {
      const before = { task: store.get(task.id), history: store.history(task.id).length };
      const res = await act('status', fields);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(form(html, 'status')).toContain(message);
      expect({ task: store.get(task.id), history: store.history(task.id).length }).toEqual(before);
      return html;
    };
    const html = await refused({ status: 'blocked', note: '  ' }, 'blocked needs a reason');
    expect(form(html, 'status')).toContain('<option value="blocked" selected>');
    expect(form(html, 'assign')).not.toContain('class="error"');
    const skipped = await refused({ status: 'done', note: 'all good' }, `T-${task.id}: assigned → done is not allowed (from assigned: in_progress, inbox, blocked)`);
    expect(form(skipped, 'status')).toContain('value="all good"');
    await refused({ status: 'finished' }, 'the status is one of inbox, assigned, in_progress, review, done, blocked');
    await refused({ status: 'assigned' }, 'it is already assigned');
  });

  it('a move or assignment from a page that is out of date is refused with 409 and the task as it is now; a comment still goes in', async () => {
    const { service, store, task, browser, act, at } = await ceoWithTask();
    const shown = (await browser.text(at)).match(/name="version" value="(\d+)"/)![1]!;
    expect(shown).toBe(String(task.version));
    service.setStatus({ id: ic1.matrixId }, task.id, 'in_progress'); // the engineer starts it meanwhile
    const after = store.get(task.id);
    for (const [action, fields] of [['status', { status: 'blocked', note: 'no budget' }], ['assign', { assignee: ic2.matrixId }]] as const) {
      const res = await act(action, { ...fields, version: shown });
      expect(res.status).toBe(409);
      const html = await res.text();
      expect(form(html, action)).toContain(`T-${task.id} changed since you opened it (now in_progress, ${ic1.name}): check it and try again`);
      expect(form(html, action)).toContain(`name="version" value="${after!.version}"`);
    }
    expect(store.get(task.id)).toEqual(after);
    expect((await act('comment', { text: 'noted', version: shown })).status).toBe(303);
    expect((await act('status', { status: 'review', version: String(after!.version) })).status).toBe(303);
  });

  it('assigns, reassigns (me, a name) and unassigns (nobody) as the signed-in human; the new assignee is told', async () => {
    const { store, task, act, browser } = await ceoWithTask();
    expect((await act('assign', { assignee: ic2.name })).status).toBe(303);
    expect(store.get(task.id)).toMatchObject({ assignee: ic2.matrixId, status: 'assigned' });
    expect(store.history(task.id).at(-1)).toMatchObject({ actor: ceo.matrixId, action: 'assigned', from: ic1.matrixId, to: ic2.matrixId });
    // Queued for the notifier, which tells people as it does for chat: the bot speaks for a human.
    expect(store.unsentNotifications().at(-1)).toMatchObject({ kind: 'assigned', speaker: BOT, recipient: ic2.matrixId, body: expect.stringContaining(`${ceo.name} assigned you T-${task.id}`) });

    expect((await act('assign', { assignee: 'me' })).status).toBe(303);
    expect(store.get(task.id)!.assignee).toBe(ceo.matrixId);
    const unassigned = await act('assign', { assignee: 'nobody' });
    expect(unassigned.status).toBe(303);
    expect(await browser.text(unassigned.headers.get('location')!.replace('/dashboard', ''))).toContain(`T-${task.id} is back in the inbox.`);
    expect(store.get(task.id)).toMatchObject({ assignee: null, status: 'inbox' });
    expect(store.history(task.id).slice(-2)).toEqual([
      expect.objectContaining({ actor: ceo.matrixId, action: 'assigned', from: ceo.matrixId, to: null }),
      expect.objectContaining({ actor: ceo.matrixId, action: 'status', from: 'assigned', to: 'inbox' }),
    ]);

    const version = store.get(task.id)!.version;
    const unknown = await act('assign', { assignee: 'Nobody McNoone' });
    expect(unknown.status).toBe(400);
    const html = form(await unknown.text(), 'assign');
    expect(html).toContain('nobody in the org is &quot;Nobody McNoone&quot;');
    expect(html).toContain('value="Nobody McNoone"');
    expect((await act('assign', { assignee: '' })).status).toBe(400);
    expect(store.get(task.id)!.version).toBe(version);
  });

  it('comments as the signed-in human; an empty or too long comment is refused with the text kept', async () => {
    const { store, task, act, browser, at } = await ceoWithTask();
    expect((await act('comment', { text: 'Use the <new> template' })).status).toBe(303);
    expect(store.history(task.id).at(-1)).toMatchObject({ actor: ceo.matrixId, action: 'comment', note: 'Use the <new> template' });
    expect(await browser.text(at)).toMatch(/Comments \(1\)[\s\S]*Use the &lt;new&gt; template/);

    const empty = await act('comment', { text: '   ' });
    expect(empty.status).toBe(400);
    expect(form(await empty.text(), 'comment')).toContain('an empty comment says nothing');
    const long = 'x'.repeat(2001);
    const tooLong = await act('comment', { text: long });
    expect(tooLong.status).toBe(400);
    expect(form(await tooLong.text(), 'comment')).toContain(`${long}</textarea>`);
    expect(store.history(task.id).filter((e) => e.action === 'comment')).toHaveLength(1);
  });

  it('a human of the org may comment on any task, but moves or reassigns only theirs, their reports\' and their creators\' (the service\'s rules)', async () => {
    const { service, store, signIn } = board();
    // A task between the CEO and an engineer the colleague does not manage.
    const outsider = org.agents().find((p) => p.level === 'IC' && !org.chain(p.matrixId).some((m) => m.matrixId === colleague.matrixId))!;
    const task = service.create({ id: ceo.matrixId }, { title: 'Not yours', assignee: outsider.matrixId });
    const browser = await signIn(colleague.localpart);
    const csrf = await browser.csrf();
    const act = (action: string, fields: Record<string, string>) => browser.postTo(`/tasks/T-${task.id}/${action}`, { csrf, ...fields });
    const belongs = `T-${task.id} belongs to ${outsider.name} and ${ceo.name}: only they and their managers may change it`;
    for (const [action, fields] of [['status', { status: 'in_progress' }], ['assign', { assignee: 'me' }]] as const) {
      const res = await act(action, fields);
      expect(res.status).toBe(400);
      expect(form(await res.text(), action)).toContain(belongs);
    }
    expect(store.get(task.id)).toMatchObject({ status: 'assigned', assignee: outsider.matrixId, version: task.version });
    expect((await act('comment', { text: 'I can help' })).status).toBe(303);
    expect(store.history(task.id).at(-1)).toMatchObject({ actor: colleague.matrixId, action: 'comment' });
    // Their own task: they may move it.
    const own = service.create({ id: colleague.matrixId }, { title: 'Mine', assignee: manager.matrixId });
    expect((await browser.postTo(`/tasks/T-${own.id}/status`, { csrf, status: 'in_progress' })).status).toBe(303);
    expect(store.history(own.id).at(-1)).toMatchObject({ actor: colleague.matrixId, to: 'in_progress' });
  });

  it('refuses a change without a session, with a bearer token, without the session\'s token, or cross-site; nothing changes', async () => {
    const { app, store, task, browser, csrf, signIn, at } = await ceoWithTask();
    const login = await app.request('/dashboard/api/login', { method: 'POST', body: JSON.stringify({ user: ceo.localpart, password: 'pw' }) });
    const { token } = await login.json() as { token: string };
    const other = await signIn(colleague.localpart);
    const otherCsrf = await other.csrf();
    const changes: Array<[string, Record<string, string>]> = [['status', { status: 'in_progress' }], ['assign', { assignee: ic2.matrixId }], ['comment', { text: 'sneaky' }]];
    const before = { task: store.get(task.id), history: store.history(task.id) };
    for (const [action, fields] of changes) {
      const path = `/dashboard${at}/${action}`;
      const anonymous = await app.request(path, { method: 'POST', body: new URLSearchParams({ csrf, ...fields }) });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toContain('/dashboard/login');
      expect((await app.request(path, { method: 'POST', body: new URLSearchParams({ csrf, ...fields }), headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      expect((await browser.postTo(`${at}/${action}`, fields)).status).toBe(403); // no token
      expect((await browser.postTo(`${at}/${action}`, { ...fields, csrf: 'forged' })).status).toBe(403);
      expect((await browser.postTo(`${at}/${action}`, { ...fields, csrf: otherCsrf })).status).toBe(403);
      expect((await browser.postTo(`${at}/${action}`, { ...fields, csrf }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(403);
    }
    expect({ task: store.get(task.id), history: store.history(task.id) }).toEqual(before);
    expect((await browser.postTo('/tasks/T-999/comment', { csrf, text: 'hello' })).status).toBe(404);
    expect((await browser.postTo(`${at}/delete`, { csrf })).status).toBe(404);
    // The same request from the page itself goes through.
    expect((await browser.postTo(`${at}/comment`, { csrf, text: 'fine' })).status).toBe(303);
  });

  it('a person\'s page links to their tasks on the board with their open-task count; without the board, no link', async () => {
    const { service, signIn } = board();
    const me = { id: ceo.matrixId };
    service.create(me, { title: 'One', assignee: ic1.matrixId });
    const two = service.create(me, { title: 'Two', assignee: ic1.matrixId });
    service.setStatus(me, two.id, 'in_progress');
    const three = service.create(me, { title: 'Three', assignee: ic1.matrixId });
    service.setStatus(me, three.id, 'in_progress');
    service.setStatus(me, three.id, 'done');
    const { text } = await signIn(ceo.localpart);
    expect(await text(`/org/people/${ic1.localpart}`)).toContain(`<dt>Tasks</dt><dd><a href="/dashboard/tasks?assignee=${ic1.localpart}">2 open</a></dd>`);
    expect(await text(`/org/people/${ic2.localpart}`)).toContain('>0 open</a>');
    const without = await board({ tasks: false }).signIn(ceo.localpart);
    expect(await without.text(`/org/people/${ic1.localpart}`)).not.toContain('<dt>Tasks</dt>');
  });
});
