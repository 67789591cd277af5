import { describe, expect, it } from 'vitest';
import { AgentWorkspace } from '../../../src/agents/workspace/workspace.ts';
import { parseIdentity } from '../../../src/providers/scripted/brain.ts';
import { cast, tempDataDir, testOrg } from './helpers.ts';

const org = testOrg();
const { agent, manager, report } = cast(org);

describe('identity files', () => {
  it('writes IDENTITY.md from the org: who, title, department, team, manager and reports', () => {
    const ws = new AgentWorkspace(tempDataDir(), agent.matrixId);
    expect(ws.syncIdentity(agent, org)).toBe(true);
    const identity = ws.read('IDENTITY.md')!;
    for (const s of [`Name: ${agent.name}`, `Title: ${agent.title}`, `Department: ${agent.department}`, `Team: ${agent.team ?? 'none'}`, `Matrix ID: ${agent.matrixId}`, manager.name, report.name]) {
      expect(identity).toContain(s);
    }
    // The scripted model reads the same lines the runtime's system prompt starts with.
    expect(parseIdentity([{ role: 'system', content: identity }])).toMatchObject({ name: agent.name, title: agent.title, manager: { name: manager.name } });
  });

  it('writes SOUL.md and AGENTS.md with the chat rules, and keeps an operator edit', () => {
    const ws = new AgentWorkspace(tempDataDir(), agent.matrixId);
    ws.syncIdentity(agent, org);
    expect(ws.read('SOUL.md')).toMatch(/never answer an m\.notice/i);
    expect(ws.read('SOUL.md')).toMatch(/tool call JSON/);
    ws.write('SOUL.md', 'Be terse.');
    expect(ws.syncIdentity(agent, org)).toBe(false);
    expect(ws.read('SOUL.md')).toBe('Be terse.');
  });

  it('rewrites IDENTITY.md when the org changes', () => {
    const ws = new AgentWorkspace(tempDataDir(), agent.matrixId);
    ws.syncIdentity(agent, org);
    const promoted = { ...agent, title: 'Vice President of Everything' };
    expect(ws.syncIdentity(promoted, org)).toBe(true);
    expect(ws.read('IDENTITY.md')).toContain('Title: Vice President of Everything');
  });
});
