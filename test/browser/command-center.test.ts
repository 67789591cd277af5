import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp } from '../../src/web/build.ts';
import { launchChromium, type LaunchedBrowser } from '../../src/web/chromium.ts';
import { startWebServer, type RunningWebServer } from '../../src/web/server.ts';
import type { Person } from '../../src/org/types.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { logInToWebChat, say, startChat, waitForTimelineText } from './web-chat.ts';

/**
 * The command center as a person uses it: Chromium, the web chat (Hydrogen) and the dashboard served by the fleet's
 * web server, the fleet (router, shard, scripted model) on a real Synapse. With FLEET_SCREENSHOTS=<dir> each page is
 * saved there as PNG (scripts/screenshots.sh writes docs/screenshots/).
 */
describe('command center in a real browser', () => {
  let fleet: TestFleet;
  let web: RunningWebServer;
  let chromium: LaunchedBrowser;
  let chat: Page;
  let cacheDir: string;
  const shots = process.env.FLEET_SCREENSHOTS ? resolve(process.env.FLEET_SCREENSHOTS) : undefined;
  const shot = async (page: Page, name: string) => {
    if (!shots) return;
    mkdirSync(shots, { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot({ path: join(shots, `${name}.png`) as `${string}.png` });
  };
  const agentAt = (i: number): Person => fleet.org.agents()[i]!;

  beforeAll(async () => {
    fleet = await startTestFleet();
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    cacheDir = mkdtempSync(join(tmpdir(), 'fleet-web-'));
    const app = await buildWebApp(cacheDir);
    web = await startWebServer({
      host: '127.0.0.1', port: 0, appDir: app.dir, homeserverUrl: fleet.hs.url, serverName: fleet.hs.serverName,
      dashboard: { org: fleet.org, view: fleet.router.view, tasks: fleet.router.tasks, admins: [], homeserverUrl: fleet.hs.url, sessionTtlMs: 3_600_000, activityPollMs: 250 },
    });
    chromium = await launchChromium();
    chat = await chromium.browser.newPage();
    chat.on('pageerror', (err) => console.error('[web chat]', err));
  });

  afterAll(async () => {
    await chromium?.close();
    await web?.close();
    await fleet?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  const dmAgent = () => agentAt(500);

  it('the CEO logs in to the web chat, opens a DM with an employee never contacted before and sees the answer', async () => {
    await chat.goto(`${web.url}/`);
    await chat.waitForSelector('#username');
    expect(await chat.title()).toBe('Open-Claw-Fleet-Command-Center');
    await shot(chat, 'web-chat-login');
    await logInToWebChat(chat, web.url, CEO.localpart, CEO.password);

    const agent = dmAgent();
    const manager = fleet.org.manager(agent.matrixId)!;
    await startChat(chat, agent.localpart);
    await say(chat, 'Hi! Who do you report to?');
    await waitForTimelineText(chat, `I report to ${manager.name}`);
    await shot(chat, 'web-chat-dm');

    // The room the web chat created is readable by the agents: no encryption state event.
    const roomId = decodeURIComponent(chat.url().match(/\/room\/([^/]+)/)![1]!);
    const token = await loginToken();
    const encryption = await fetch(`${fleet.hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`, { headers: { authorization: `Bearer ${token}` } });
    expect(encryption.status).toBe(404);
  });

  it('a group room with two mentions gets both answers', async () => {
    // Two agents whose managers differ, so each answer names who sent it.
    const a = agentAt(40);
    const b = fleet.org.agents().find((p) => p.department !== a.department && fleet.org.manager(p.matrixId)!.name !== fleet.org.manager(a.matrixId)!.name)!;
    await startChat(chat, `${a.localpart}, ${b.localpart}`);
    await waitForTimelineText(chat, `${a.name} joined the room`);
    await waitForTimelineText(chat, `${b.name} joined the room`);
    await say(chat, `${a.name} and ${b.name}: who do you report to?`);
    await waitForTimelineText(chat, `I report to ${fleet.org.manager(a.matrixId)!.name}`);
    await waitForTimelineText(chat, `I report to ${fleet.org.manager(b.matrixId)!.name}`);
    await shot(chat, 'web-chat-group');
  });

  it('the dashboard answers nothing anonymously and refuses people who are not the org\'s humans', async () => {
    expect((await fetch(`${web.url}/dashboard/api/agents`)).status).toBe(401);
    expect((await fetch(`${web.url}/dashboard/api/activity`)).status).toBe(401);
    const page = await chromium.browser.newPage();
    await page.goto(`${web.url}/dashboard/agents`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await shot(page, 'dashboard-login');

    // A real account on the homeserver, but an AI employee's; and one that is not in the directory at all.
    const agent = agentAt(900);
    await fleet.hs.registerUser(agent.localpart, 'agent-password-1');
    await fleet.hs.registerUser('visitor', 'visitor-password-1');
    for (const [user, password, reason] of [[agent.localpart, 'agent-password-1', 'AI employee'], ['visitor', 'visitor-password-1', 'not in the company directory']] as const) {
      await dashboardLogin(page, user, password);
      expect(await page.$eval('.error', (el) => el.textContent)).toContain(reason);
      expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    }
    await page.close();
  });

  it('the dashboard shows the agent that just answered with its shard and token count, and the activity feed shows the turn live', async () => {
    const page = await chromium.browser.newPage();
    await dashboardLogin(page, CEO.localpart, CEO.password);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    expect(await page.$eval('main h1', (el) => el.textContent)).toBe('Overview');
    await shot(page, 'dashboard-overview');

    const agent = dmAgent();
    await page.goto(`${web.url}/dashboard/agents`);
    const api = await page.evaluate(async () => (await fetch('/dashboard/api/agents?show=active')).json()) as Array<{ agentId: string; shardId: string; inputTokens: number; outputTokens: number }>;
    const figures = api.find((a) => a.agentId === agent.matrixId)!;
    expect(figures.shardId).toBe('shard-0');
    expect(figures.inputTokens).toBeGreaterThan(0);
    const row = await page.$eval(`tr[data-agent="${agent.matrixId}"]`, (el) => el.textContent!.replace(/\s+/g, ' '));
    expect(row).toContain(agent.name);
    expect(row).toContain('shard-0');
    expect(row).toContain(`${figures.inputTokens.toLocaleString('en-US')} / ${figures.outputTokens.toLocaleString('en-US')}`);
    await shot(page, 'dashboard-agents');

    await page.goto(`${web.url}/dashboard/activity`);
    const turnsOf = () => page.$$eval('#activity tbody tr[data-turn]', (rows, name) => rows.filter((r) => r.textContent!.includes(name)).length, agent.name);
    const before = await turnsOf();
    expect(before).toBeGreaterThan(0);
    expect(await page.$eval('#activity tbody tr[data-turn]', (el) => el.textContent)).toContain(CEO.name);
    await page.waitForSelector('#live-state.on');

    // Another question in the DM: its turn appears on the open activity page without a reload.
    await chat.bringToFront();
    await startChat(chat, agent.localpart); // the DM from the first test, reused
    await say(chat, 'And how many direct reports do you have?');
    await page.bringToFront();
    await expect.poll(turnsOf, { timeout: 30_000, interval: 200 }).toBeGreaterThan(before);
    await shot(page, 'dashboard-activity');

    await page.goto(`${web.url}/dashboard/org?department=${encodeURIComponent(agent.department)}`);
    await shot(page, 'dashboard-org');
    // The agent's manager: a manager chain up to the CEO, and the agent among the reports.
    await page.goto(`${web.url}/dashboard/org/people/${fleet.org.manager(agent.matrixId)!.localpart}`);
    expect(await page.$eval('nav.chain', (el) => el.textContent)).toContain(CEO.name);
    expect(await page.$eval('ul.reports', (el) => el.textContent)).toContain(agent.name);
    await shot(page, 'dashboard-person');
    await page.goto(`${web.url}/dashboard/shards`);
    expect(await page.$eval('tr[data-shard="shard-0"]', (el) => el.textContent)).toContain('healthy');
    await shot(page, 'dashboard-shards');
    // The tasks board: six columns, and the form creates an inbox task (no assignee, so no agent is woken).
    await page.goto(`${web.url}/dashboard/tasks`);
    expect(await page.$$eval('.board .column', (els) => els.length)).toBe(6);
    await page.click('details.create-task summary');
    await page.type('input[name=title]', 'Check the tasks board');
    await Promise.all([page.waitForNavigation(), page.click('details.create-task button[type=submit]')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/dashboard\/tasks\/T-\d+$/);
    expect(await page.$eval('main h1', (el) => el.textContent)).toContain('Check the tasks board');
    // Its page changes it as the CEO: a comment, then "me" as assignee (a human: no agent is woken) and a move on.
    const submit = (action: string) => Promise.all([page.waitForNavigation(), page.click(`form[data-action=${action}] button[type=submit]`)]);
    await page.type('form[data-action=comment] textarea[name=text]', 'Looks right from here');
    await submit('comment');
    expect(await page.$eval('ul.comments', (el) => el.textContent)).toContain('Looks right from here');
    await page.type('form[data-action=assign] input[name=assignee]', 'me');
    await submit('assign');
    expect(await page.$eval('.task-detail dl', (el) => el.textContent)).toContain(CEO.name);
    await page.select('form[data-action=status] select[name=status]', 'in_progress');
    await page.type('form[data-action=status] input[name=note]', 'on it');
    await submit('status');
    expect(await page.$eval('.task-detail .title', (el) => el.textContent)).toContain('In progress');
    expect(await page.$eval('.card.notice', (el) => el.textContent)).toMatch(/^T-\d+ is now in progress\.$/);
    expect(await page.$eval('ul.history', (el) => el.textContent)).toContain('assigned → in_progress — on it');
    await shot(page, 'dashboard-task');
    if (shots) seedBoard(); // a board worth a picture: a card in every column
    await page.goto(`${web.url}/dashboard/tasks`);
    expect(await page.$eval('.column[data-status="in_progress"]', (el) => el.textContent)).toContain('Check the tasks board');
    await shot(page, 'dashboard-tasks');

    await page.click('header form button');
    await page.waitForSelector('.login-card');
    const after = await page.evaluate(async () => (await fetch('/dashboard/api/agents')).status);
    expect(after).toBe(401);
    await page.close();
  });

  /** Tasks of the CEO's in each status, for the screenshot (the test itself needs only the one it creates). */
  function seedBoard(): void {
    const tasks = fleet.router.tasks;
    const ceo = { id: `@${CEO.localpart}:${fleet.org.domain}` };
    const [vp, director, manager, engineer] = (['VP', 'Director', 'Manager', 'IC'] as const).map((l) => fleet.org.byLevel(l)[0]!.matrixId);
    const epic = tasks.create(ceo, { title: 'Launch self-service onboarding', kind: 'epic', assignee: vp!, priority: 'high', due: '2027-01-29' });
    const started = tasks.create(ceo, { title: 'Sign-up screens', kind: 'story', parent: epic.id, assignee: director! });
    tasks.setStatus(ceo, started.id, 'in_progress');
    const review = tasks.create(ceo, { title: 'Welcome e-mail copy', parent: epic.id, assignee: manager!, due: '2026-12-18' });
    tasks.setStatus(ceo, review.id, 'in_progress');
    tasks.setStatus(ceo, review.id, 'review');
    const blocked = tasks.create(ceo, { title: 'SSO for contractors', parent: epic.id, assignee: engineer!, priority: 'urgent' });
    tasks.setStatus(ceo, blocked.id, 'blocked', { reason: 'waiting for the identity provider contract' });
    const done = tasks.create(ceo, { title: 'Pick the analytics vendor', assignee: manager! });
    tasks.setStatus(ceo, done.id, 'in_progress');
    tasks.setStatus(ceo, done.id, 'done', { note: 'Chose the self-hosted option' });
  }

  async function dashboardLogin(page: Page, user: string, password: string): Promise<void> {
    await page.goto(`${web.url}/dashboard/login`);
    await page.type('input[name=user]', user);
    await page.type('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.click('.login-card button')]);
  }

  async function loginToken(): Promise<string> {
    const res = await fetch(`${fleet.hs.url}/_matrix/client/v3/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: CEO.localpart }, password: CEO.password }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }
});
