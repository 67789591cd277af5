import { html } from 'hono/html';
import type { Person } from '../../org/types.ts';
import type { AgentView, TurnRecord } from '../../router/fleet-view.ts';
import { ago, clock, count, localpartOf, ms, usd } from './format.ts';
import type { Html } from './layout.ts';

/** Pieces more than one page shows. */

export const personHref = (matrixId: string): string => `/dashboard/org/people/${encodeURIComponent(localpartOf(matrixId))}`;

export const chatHref = (matrixId: string): string => `/?chat=${encodeURIComponent(matrixId)}`;

export function personLink(p: Pick<Person, 'matrixId' | 'name'> | undefined, fallbackId: string): Html {
  return p ? html`<a href="${personHref(p.matrixId)}">${p.name}</a>` : html`<span class="muted">${fallbackId}</span>`;
}

export function stat(label: string, value: string, note?: string): Html {
  return html`<div class="stat"><div class="value">${value}</div><div class="label">${label}</div>${note ? html`<div class="note">${note}</div>` : ''}</div>`;
}

export function agentState(a: Pick<AgentView, 'live' | 'warm' | 'shardId'>): Html {
  if (!a.live) return html`<span class="pill off">not staffed</span>`;
  if (!a.shardId) return html`<span class="pill bad">no shard</span>`;
  return a.warm ? html`<span class="pill warm">warm</span>` : html`<span class="pill cold">hibernated</span>`;
}

const OUTCOME_CLASS: Record<TurnRecord['outcome'], string> = { replied: 'ok', silent: 'cold', apology: 'bad', skipped: 'off', failed: 'bad' };

export const outcomePill = (t: Pick<TurnRecord, 'outcome' | 'error'>): Html =>
  html`<span class="pill ${OUTCOME_CLASS[t.outcome]}" title="${t.error ?? ''}">${t.outcome}</span>`;

/** Column headings of the activity table; the live script (static/activity.js) fills rows in the same order. */
export const TURN_COLUMNS = ['Time', 'Asked by', 'Agent', 'Shard', 'Latency', 'Model', 'Tokens in / out', 'Cost', 'Outcome'];

export function turnRow(t: TurnRecord, nameOf: (id: string) => Person | undefined): Html {
  return html`<tr data-turn="${t.id}">
    <td><time datetime="${new Date(t.at).toISOString()}">${clock(t.at)}</time></td>
    <td>${personLink(nameOf(t.senderId), t.senderId)}</td>
    <td>${personLink(nameOf(t.agentId), t.agentId)}</td>
    <td>${t.shardId}</td>
    <td class="num">${ms(t.latencyMs)}</td>
    <td>${t.model}</td>
    <td class="num">${count(t.inputTokens)} / ${count(t.outputTokens)}</td>
    <td class="num">${usd(t.costUsd)}</td>
    <td>${outcomePill(t)}${t.error ? html` <span class="muted small">${t.error}</span>` : ''}</td>
  </tr>`;
}

export function turnTable(turns: readonly TurnRecord[], nameOf: (id: string) => Person | undefined, opts: { live?: boolean } = {}): Html {
  return html`<table class="grid" id="${opts.live ? 'activity' : ''}">
    <thead><tr>${TURN_COLUMNS.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${turns.length ? turns.map((t) => turnRow(t, nameOf)) : html`<tr class="empty"><td colspan="${TURN_COLUMNS.length}">No turns yet. Say something to an employee in the web chat.</td></tr>`}</tbody>
  </table>`;
}

export function lastTurn(at: number | undefined, now: number): Html {
  return at ? html`<time datetime="${new Date(at).toISOString()}">${ago(at, now)}</time>` : html`<span class="muted">never</span>`;
}
