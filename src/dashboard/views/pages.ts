import { html } from 'hono/html';
import type { OrgDirectory } from '../../org/directory.ts';
import { LEVELS, type Person } from '../../org/types.ts';
import type { AgentView, ShardView, TurnRecord } from '../../router/fleet-view.ts';
import { ago, count, usd } from './format.ts';
import type { Html } from './layout.ts';
import { boardHref } from './tasks.ts';
import { agentState, chatHref, lastTurn, personHref, personLink, stat, turnTable } from './parts.ts';

/** The bodies of the dashboard's pages: data in, escaped HTML out. */

export function overviewBody(d: { org: OrgDirectory; agents: AgentView[]; shards: ShardView[]; turns: TurnRecord[]; inbox: { pending: number; failed: number }; now: number }): Html {
  const live = d.agents.filter((a) => a.live);
  const lastHour = d.turns.filter((t) => t.at > d.now - 3_600_000);
  const tokens = d.agents.reduce((n, a) => n + a.inputTokens + a.outputTokens, 0);
  const cost = d.agents.reduce((n, a) => n + a.costUsd, 0);
  const up = d.shards.filter((s) => s.reachable).length;
  return html`
    <section class="stats">
      ${stat('people', count(d.org.size), `${d.org.humans().length} human, ${d.org.agents().length} AI`)}
      ${stat('live agents', count(live.length), `${live.filter((a) => a.warm).length} warm`)}
      ${stat('shards up', `${up} / ${d.shards.length}`, `${d.inbox.pending} events waiting in the inbox`)}
      ${stat('turns, last hour', count(lastHour.length), `${lastHour.filter((t) => t.outcome === 'failed' || t.outcome === 'apology').length} with errors`)}
      ${stat('tokens', count(tokens), `${usd(cost)} estimated`)}
    </section>
    <h2>Latest turns <a class="small" href="/dashboard/activity">all activity →</a></h2>
    ${turnTable(d.turns.slice(-8).reverse(), (id) => d.org.get(id))}`;
}

function peopleTable(people: readonly Person[], agents: Map<string, AgentView>, now: number): Html {
  return html`<table class="grid">
    <thead><tr><th>Name</th><th>Title</th><th>Department</th><th>Team</th><th>Status</th><th>Last turn</th></tr></thead>
    <tbody>${people.map((p) => {
      const a = agents.get(p.matrixId);
      return html`<tr>
        <td>${personLink(p, p.matrixId)}</td><td>${p.title}</td><td>${p.department}</td><td>${p.team ?? '—'}</td>
        <td>${p.human ? html`<span class="pill human">human</span>` : a ? agentState(a) : ''}</td>
        <td>${lastTurn(a?.lastTurnAt, now)}</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

export function orgBody(d: { org: OrgDirectory; agents: Map<string, AgentView>; q: string; department?: string; team?: string; now: number }): Html {
  const { org } = d;
  const departments = org.departments();
  const teams = d.department ? org.teams().filter((t) => t.department.toLowerCase() === d.department!.toLowerCase()) : [];
  let heading: string;
  let people: Person[];
  if (d.q) {
    people = org.search(d.q, 100);
    heading = `${people.length === 100 ? 'First 100' : people.length} matching “${d.q}”`;
  } else if (d.department && d.team) {
    people = org.team(d.team, d.department);
    heading = `${d.department} › ${d.team}: ${people.length} people`;
  } else if (d.department) {
    // A department's leaders are those without a team (VP, directors); its teams follow in their own table.
    const all = org.department(d.department);
    people = all.filter((p) => p.team === null);
    heading = `${d.department}: ${all.length} people`;
  } else {
    const root = org.all().find((p) => p.reportsTo === null);
    people = root ? [root, ...org.reports(root.matrixId)] : [];
    heading = 'The top of the company';
  }
  const deptHref = (name: string) => `/dashboard/org?department=${encodeURIComponent(name)}`;
  return html`
    <form class="search" method="get" action="/dashboard/org">
      <input type="search" name="q" value="${d.q}" placeholder="Search people: name, title, team, department" aria-label="Search people">
      <button type="submit">Search</button>
    </form>
    <div class="columns">
      <aside class="card">
        <h3>Departments</h3>
        <ul class="tree">${departments.map((name) => html`<li class="${name === d.department ? 'active' : ''}">
          <a href="${deptHref(name)}">${name}</a> <span class="muted">${org.department(name).length}</span>
          ${name === d.department ? html`<ul>${teams.map((t) => html`<li class="${t.team === d.team ? 'active' : ''}">
            <a href="${deptHref(name)}&team=${encodeURIComponent(t.team)}">${t.team}</a> <span class="muted">${org.team(t.team, name).length}</span></li>`)}</ul>` : ''}
        </li>`)}</ul>
      </aside>
      <section>
        <h2>${heading}</h2>
        ${peopleTable(people, d.agents, d.now)}
        ${d.department && !d.team && !d.q ? teamsTable(org, d.department, teams) : ''}
      </section>
    </div>`;
}

/** A department's teams: size and lead (its most senior member), each linking to the team's people. */
function teamsTable(org: OrgDirectory, department: string, teams: ReadonlyArray<{ team: string }>): Html {
  return html`<h2>Teams</h2>
    <table class="grid">
      <thead><tr><th>Team</th><th>Lead</th><th class="num">People</th></tr></thead>
      <tbody>${teams.map(({ team }) => {
        const members = org.team(team, department);
        const lead = members.reduce<Person | undefined>((best, p) => (!best || LEVELS.indexOf(p.level) < LEVELS.indexOf(best.level) ? p : best), undefined);
        return html`<tr>
          <td><a href="/dashboard/org?department=${encodeURIComponent(department)}&team=${encodeURIComponent(team)}">${team}</a></td>
          <td>${lead ? html`${personLink(lead, lead.matrixId)} <span class="muted">${lead.title}</span>` : '—'}</td>
          <td class="num">${members.length}</td>
        </tr>`;
      })}</tbody>
    </table>`;
}

export function personBody(d: { org: OrgDirectory; person: Person; agent?: AgentView; turns: TurnRecord[]; now: number;
  /** Their open tasks, when the dashboard has the tasks board (then a link to their tasks on it). */
  openTasks?: number }): Html {
  const { org, person: p, agent: a } = d;
  const chain = org.chain(p.matrixId).reverse();
  const reports = org.reports(p.matrixId);
  return html`
    <nav class="chain" aria-label="Manager chain">${chain.map((m) => html`<a href="${personHref(m.matrixId)}">${m.name}</a><span class="sep">›</span>`)}<strong>${p.name}</strong></nav>
    <div class="columns person-page">
      <section class="card person">
        <h2>${p.name} ${p.human ? html`<span class="pill human">human</span>` : a ? agentState(a) : ''}</h2>
        <p class="title">${p.title}</p>
        <dl>
          <dt>Matrix id</dt><dd><code>${p.matrixId}</code></dd>
          <dt>Department</dt><dd><a href="/dashboard/org?department=${encodeURIComponent(p.department)}">${p.department}</a></dd>
          <dt>Team</dt><dd>${p.team ?? '—'}</dd>
          <dt>Level</dt><dd>${p.level}</dd>
          <dt>Manager</dt><dd>${personLink(org.manager(p.matrixId), '—')}</dd>
          ${d.openTasks !== undefined ? html`<dt>Tasks</dt><dd><a href="${boardHref({ assignee: p.localpart, department: '', q: '', parent: '' })}">${count(d.openTasks)} open</a></dd>` : ''}
          ${a ? html`<dt>Shard</dt><dd>${a.shardId ?? '—'}</dd>
            <dt>Queue</dt><dd>${a.queued}</dd>
            <dt>Turns</dt><dd>${count(a.turns)}${a.lastTurnAt ? `, last ${ago(a.lastTurnAt, d.now)}` : ''}</dd>
            <dt>Tokens</dt><dd>${count(a.inputTokens)} in / ${count(a.outputTokens)} out · ${usd(a.costUsd)}</dd>` : ''}
        </dl>
        ${p.human ? '' : html`<a class="button" href="${chatHref(p.matrixId)}">Chat with ${p.firstName}</a>`}
      </section>
      <section>
        <h2>Direct reports (${reports.length})</h2>
        ${reports.length ? html`<ul class="reports">${reports.map((r) => html`<li>${personLink(r, r.matrixId)} <span class="muted">${r.title}</span></li>`)}</ul>` : html`<p class="muted">None.</p>`}
        ${p.human ? '' : html`<h2>Recent turns</h2>${turnTable(d.turns.slice(-10).reverse(), (id) => org.get(id))}`}
      </section>
    </div>`;
}

export function agentsBody(d: { org: OrgDirectory; agents: AgentView[]; total: number; q: string; show: string; now: number;
  /** Paging, when the filtered list is longer than a page: the page shown, their number, the rows matched. */
  page?: number; pages?: number; matched?: number }): Html {
  const page = d.page ?? 1;
  const pages = d.pages ?? 1;
  const pageHref = (n: number) => `/dashboard/agents?q=${encodeURIComponent(d.q)}&show=${encodeURIComponent(d.show)}&page=${n}`;
  const filters = [['active', 'with turns'], ['live', 'live'], ['all', 'everyone']] as const;
  return html`
    <form class="search" method="get" action="/dashboard/agents">
      <input type="search" name="q" value="${d.q}" placeholder="Filter by name, title, department or shard" aria-label="Filter agents">
      <select name="show" aria-label="Which agents">${filters.map(([v, label]) => html`<option value="${v}" ${d.show === v ? 'selected' : ''}>${label}</option>`)}</select>
      <button type="submit">Filter</button>
    </form>
    <p class="muted">${d.matched ?? d.agents.length} of ${d.total} agents${pages > 1 ? `, page ${page} of ${pages}` : ''}, most recent turn first.
      ${page > 1 ? html`<a href="${pageHref(page - 1)}" rel="prev">‹ previous</a>` : ''} ${page < pages ? html`<a href="${pageHref(page + 1)}" rel="next">next ›</a>` : ''}</p>
    <table class="grid" id="agents">
      <thead><tr><th>Agent</th><th>Title</th><th>Department</th><th>State</th><th>Shard</th><th class="num">Queue</th><th>Last turn</th><th class="num">Turns</th><th class="num">Tokens in / out</th><th class="num">Cost</th></tr></thead>
      <tbody>${d.agents.length ? d.agents.map((a) => html`<tr data-agent="${a.agentId}">
        <td>${personLink(d.org.get(a.agentId) ?? { matrixId: a.agentId, name: a.name }, a.agentId)}</td>
        <td>${a.title}</td><td>${a.department}${a.team ? html` <span class="muted">› ${a.team}</span>` : ''}</td>
        <td>${agentState(a)}</td><td>${a.shardId ?? '—'}</td><td class="num">${a.queued}</td>
        <td>${lastTurn(a.lastTurnAt, d.now)}</td><td class="num">${count(a.turns)}</td>
        <td class="num">${count(a.inputTokens)} / ${count(a.outputTokens)}</td><td class="num">${usd(a.costUsd)}</td>
      </tr>`) : html`<tr class="empty"><td colspan="10">No agent has answered yet. Choose “live” or “everyone” to see them all.</td></tr>`}</tbody>
    </table>`;
}

export function shardsBody(d: { shards: ShardView[]; inbox: { pending: number; done: number; failed: number }; now: number }): Html {
  return html`
    <section class="stats">
      ${stat('inbox pending', count(d.inbox.pending))}
      ${stat('inbox done', count(d.inbox.done))}
      ${stat('inbox failed', count(d.inbox.failed), d.inbox.failed ? 'kept for replay' : undefined)}
    </section>
    <table class="grid" id="shards">
      <thead><tr><th>Shard</th><th>Health</th><th>Address</th><th>Up since</th><th>Last heartbeat</th><th class="num">Placed agents</th><th class="num">Unfinished deliveries</th><th class="num">Restarts</th><th class="num">Pending / done / failed / skipped</th></tr></thead>
      <tbody>${d.shards.length ? d.shards.map((s) => html`<tr data-shard="${s.shardId}">
        <td><strong>${s.shardId}</strong></td>
        <td>${s.reachable ? html`<span class="pill ok">healthy</span>` : html`<span class="pill bad">unreachable</span>`}</td>
        <td><code>${s.url}</code></td><td>${ago(s.startedAt, d.now)}</td><td>${ago(s.lastSeenAt, d.now)}</td>
        <td class="num">${count(s.placedAgents)}</td><td class="num">${count(s.unfinished)}</td><td class="num">${s.restarts}</td>
        <td class="num">${s.deliveries ? `${count(s.deliveries.pending)} / ${count(s.deliveries.done)} / ${count(s.deliveries.failed)} / ${count(s.deliveries.skipped)}` : '—'}</td>
      </tr>`) : html`<tr class="empty"><td colspan="9">No shard is registered with the router.</td></tr>`}</tbody>
    </table>`;
}

export function activityBody(d: { org: OrgDirectory; turns: TurnRecord[] }): Html {
  return html`
    <p class="muted"><span class="live-dot" id="live-state" title="connecting">●</span> Live: new turns appear at the top as agents finish them.</p>
    ${turnTable(d.turns.slice().reverse(), (id) => d.org.get(id), { live: true })}`;
}
