import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentServices, ConversationRef, HumanMessageOptions } from '../../../src/agents/runtime.ts';
import type { OrgDirectory } from '../../../src/org/directory.ts';
import type { Person } from '../../../src/org/types.ts';
import { OrgDirectory as Directory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';

export const DOMAIN = 'anycompany.corp';

export function testOrg(): OrgDirectory {
  return new Directory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), DOMAIN);
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'agents-'));
}

/** Someone with a manager and at least one direct report, plus their people. */
export function cast(org: OrgDirectory): { ceo: Person; agent: Person; manager: Person; report: Person; peer: Person } {
  const ceo = org.all().find((p: Person) => p.human)!;
  const agent = org.all().find((p: Person) => !p.human && org.manager(p.matrixId) && org.reports(p.matrixId).length > 0)!;
  const manager = org.manager(agent.matrixId)!;
  const report = org.reports(agent.matrixId)[0]!;
  const peer = org.all().find((p: Person) => !p.human && ![agent, manager, report].some((x: Person) => x.matrixId === p.matrixId))!;
  return { ceo, agent, manager, report, peer };
}

export interface SentMessage { from: string; to: string; text: string; opts: { roomId?: string; conversation?: ConversationRef } }

export interface SentToHuman { from: string; to: string; text: string; opts: HumanMessageOptions }

export function recordingServices(): AgentServices & { sent: SentMessage[]; toHumans: SentToHuman[] } {
  const sent: SentMessage[] = [];
  const toHumans: SentToHuman[] = [];
  return {
    sent,
    toHumans,
    async messageColleague(from, to, text, opts) {
      sent.push({ from, to, text, opts });
      return { roomId: opts.roomId ?? '!dm:anycompany.corp', eventId: `$sent${sent.length}` };
    },
    async messageHuman(from, to, text, opts) {
      toHumans.push({ from, to, text, opts });
      return { roomId: opts.direct ? '!dm-human:anycompany.corp' : opts.conversation.rootRoomId, eventId: `$human${toHumans.length}` };
    },
  };
}
