import { createHash } from 'node:crypto';
import type { Bridge } from 'matrix-appservice-bridge';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_AT_KEY, HeartbeatRooms } from '../../../src/heartbeat/rooms.ts';
import { componentLogger } from '../../../src/log.ts';
import type { UserProvisioner } from '../../../src/matrix/provisioning.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { openDatabase } from '../../../src/store/sqlite.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const agent = org.byLevel('Manager')[3]!.matrixId;
const BOT = `@fleet-bot:${D}`;
const HEARTBEAT_ROOM = '!heartbeat:anycompany.corp';

interface Send { path: string; content: Record<string, unknown> }

/** The bot's sends and the agent's room creation, as the bridge would make them; nothing leaves the process. */
function fakeBridge(sends: Send[]): Bridge {
  const client = { doRequest: async (_method: string, path: string, _query: unknown, content: Record<string, unknown>) => { sends.push({ path, content }); return { event_id: `$${sends.length}` }; } };
  return {
    getBot: () => ({ getClient: () => client }),
    getIntent: () => ({ matrixClient: { createRoom: async () => HEARTBEAT_ROOM }, join: async () => undefined }),
  } as unknown as Bridge;
}

/**
 * What the homeserver makes of sends in one instant: an event id is a hash of the event, and two sends of the same
 * sender, room, content and millisecond (same parents) are the same event, whatever their transaction ids.
 */
const eventsOf = (sends: readonly Send[]) => new Set(sends.map((s) => createHash('sha256').update(s.path.split('/send/')[0]! + JSON.stringify(s.content)).digest('hex')));
const txnOf = (s: Send) => s.path.split('/').at(-1);

async function beatsInOneInstant(ats: readonly number[]): Promise<Send[]> {
  const sends: Send[] = [];
  const rooms = new HeartbeatRooms({
    db: openDatabase(':memory:', []), bridge: fakeBridge(sends), org, botId: BOT, log: componentLogger('test'),
    provisioner: { ensure: async () => undefined } as unknown as UserProvisioner,
  });
  for (const at of ats) rooms.beat(agent, ['T-1 Budget review for Q1'], 1, at);
  for (let i = 0; i < 50 && sends.length < ats.length; i++) await new Promise((r) => setTimeout(r, 5));
  return sends;
}

describe('heartbeat rooms', () => {
  it('six beats of one agent posted in one instant are six events (the same words would have been fewer)', async () => {
    const ats = [0, 1, 2, 3, 4, 5].map((i) => Date.UTC(2026, 11, 3, 12, 10 * (i + 1)));
    const sends = await beatsInOneInstant(ats);
    expect(sends).toHaveLength(6);
    expect(new Set(sends.map(txnOf)).size).toBe(6);
    expect(eventsOf(sends).size).toBe(6);
    expect(sends.map((s) => s.content[HEARTBEAT_AT_KEY])).toEqual(ats);
    expect(sends.every((s) => s.path.includes(encodeURIComponent(HEARTBEAT_ROOM)))).toBe(true);
  });

  it('a beat sent again (same scheduled time) keeps its transaction id and content, so the homeserver posts it once', async () => {
    const at = Date.UTC(2026, 11, 3, 12, 10);
    const sends = await beatsInOneInstant([at, at]);
    expect(sends).toHaveLength(2);
    expect(txnOf(sends[0]!)).toBe(txnOf(sends[1]!));
    expect(eventsOf(sends).size).toBe(1);
  });
});
