import { describe, expect, it } from 'vitest';
import type { Bridge } from 'matrix-appservice-bridge';
import type { ConversationRef } from '../../../src/agents/runtime.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import type { UserProvisioner } from '../../../src/matrix/provisioning.ts';
import { ColleagueMessenger } from '../../../src/shard/colleague-messenger.ts';
import { CONVERSATION_KEY, HOP_KEY } from '../../../src/shard/conversation.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { cast, testOrg } from '../agents/helpers.ts';

/** Room choice and bounds of an agent's message to a human (issue 9, reporting back). */
const base = testOrg();
// A second human of the org (as config org.humans makes one): someone who did not ask.
const otherId = base.agents()[500]!.matrixId;
const org = new OrgDirectory(base.all().map((p) => (p.matrixId === otherId ? { ...p, human: true } : p)), base.domain);
const { ceo, agent } = cast(org);
const other = org.get(otherId)!;
const ROOT_ROOM = '!asked-here:anycompany.corp';
const conv: ConversationRef = { rootEventId: '$question', rootRoomId: ROOT_ROOM, rootSender: ceo.matrixId, hop: 2 };

function messenger(opts: { rootMembers: string[]; perDay?: number; now?: () => Date }) {
  const sent: { from: string; roomId: string; content: Record<string, unknown>; txn: string }[] = [];
  const created: unknown[] = [];
  const delivered = new Set<string>();
  const client = {
    getJoinedRoomMembers: async (roomId: string) => (roomId === ROOT_ROOM ? opts.rootMembers : []),
    createRoom: async (req: unknown) => { created.push(req); return `!dm${created.length}:anycompany.corp`; },
    resolveRoom: async () => '!dm1:anycompany.corp',
  };
  const bridge = { getIntent: () => ({ matrixClient: client, join: async () => {} }) } as unknown as Bridge;
  const matrix = {
    // The homeserver's transaction cache: one event per (sender, transaction id).
    send: async (from: string, roomId: string, content: Record<string, unknown>, txn: string) => {
      if (!delivered.has(`${from}|${txn}`)) sent.push({ from, roomId, content, txn });
      delivered.add(`${from}|${txn}`);
      return `$ev-${txn}`;
    },
  } as unknown as AgentMatrix;
  const provisioner = { ensure: async (id: string) => { if (!org.isAgent(id)) throw new Error(`${id} is not an agent`); } } as unknown as UserProvisioner;
  const m = new ColleagueMessenger({
    bridge, matrix, provisioner, org, db: new ShardStore(':memory:').db,
    ...(opts.perDay !== undefined ? { maxMessagesToHumanPerDay: opts.perDay } : {}), ...(opts.now ? { now: opts.now } : {}),
  });
  return { m, sent, created };
}

const turn = (n: number, nth = 0) => ({ conversation: conv, direct: false, turnEventId: `$turn${n}`, nth });

describe('an agent messaging a human of the org', () => {
  it('the human who asked: in the room they asked, as a reply to their question, mentioning them, hop and conversation carried', async () => {
    const { m, sent, created } = messenger({ rootMembers: [agent.matrixId, ceo.matrixId] });
    const out = await m.messageHuman(agent.matrixId, ceo.matrixId, 'Migration 75% done', turn(1));
    expect(out).toMatchObject({ roomId: ROOT_ROOM });
    expect(created).toEqual([]);
    expect(sent[0]!.content).toMatchObject({
      body: 'Migration 75% done', 'm.mentions': { user_ids: [ceo.matrixId] },
      'm.relates_to': { 'm.in_reply_to': { event_id: '$question' } },
      [HOP_KEY]: 3, [CONVERSATION_KEY]: { root_event: '$question', root_room: ROOT_ROOM, root_sender: ceo.matrixId },
    });
  });

  it('the human who asked, in their DM although they asked in a room: redirected to the room they asked in', async () => {
    const { m, sent } = messenger({ rootMembers: [agent.matrixId, ceo.matrixId] });
    await m.messageHuman(agent.matrixId, ceo.matrixId, 'status', { ...turn(1), direct: true });
    expect(sent.map((s) => s.roomId)).toEqual([ROOT_ROOM]);
  });

  it('another member of the root room: there, unless the agent chose their DM; a human not there: a DM, found again by alias', async () => {
    const { m, sent, created } = messenger({ rootMembers: [agent.matrixId, ceo.matrixId, other.matrixId] });
    await m.messageHuman(agent.matrixId, other.matrixId, 'FYI', turn(1));
    await m.messageHuman(agent.matrixId, other.matrixId, 'privately', { ...turn(1, 1), direct: true });
    expect(sent.map((s) => s.roomId)).toEqual([ROOT_ROOM, '!dm1:anycompany.corp']);
    expect(sent[1]!.content['m.relates_to']).toBeUndefined();
    expect(created).toEqual([expect.objectContaining({ is_direct: true, invite: [other.matrixId], room_alias_name: expect.stringMatching(/^ocf-dm-/) })]);
    // The agent left the root room: the asker too gets a DM (the same one every time).
    const gone = messenger({ rootMembers: [ceo.matrixId] });
    await gone.m.messageHuman(agent.matrixId, ceo.matrixId, 'status', turn(2));
    await gone.m.messageHuman(agent.matrixId, ceo.matrixId, 'status again', turn(3));
    expect(gone.sent.map((s) => s.roomId)).toEqual(['!dm1:anycompany.corp', '!dm1:anycompany.corp']);
    expect(gone.created).toHaveLength(1);
  });

  it('a re-run turn sends the same message once, even worded differently, and it counts once', async () => {
    const { m, sent } = messenger({ rootMembers: [agent.matrixId, ceo.matrixId], perDay: 1 });
    await m.messageHuman(agent.matrixId, ceo.matrixId, 'Migration is 75% done', turn(1));
    expect(await m.messageHuman(agent.matrixId, ceo.matrixId, 'The migration: 75%', turn(1))).toMatchObject({ roomId: ROOT_ROOM });
    expect(sent).toHaveLength(1);
  });

  it('is bounded per human and UTC day; the next day starts again', async () => {
    let now = new Date('2026-12-03T10:00:00Z');
    const { m, sent } = messenger({ rootMembers: [agent.matrixId, ceo.matrixId, other.matrixId], perDay: 2, now: () => now });
    await m.messageHuman(agent.matrixId, ceo.matrixId, 'one', turn(1));
    await m.messageHuman(agent.matrixId, ceo.matrixId, 'two', turn(2));
    expect(await m.messageHuman(agent.matrixId, ceo.matrixId, 'three', turn(3))).toEqual({ refused: expect.stringMatching(/2 messages today/) });
    // Another human has a count of their own.
    expect(await m.messageHuman(agent.matrixId, other.matrixId, 'hello', turn(4))).toMatchObject({ roomId: ROOT_ROOM });
    now = new Date('2026-12-04T00:00:01Z');
    expect(await m.messageHuman(agent.matrixId, ceo.matrixId, 'three', turn(3))).toMatchObject({ roomId: ROOT_ROOM });
    expect(sent.map((s) => s.content.body)).toEqual(['one', 'two', 'hello', 'three']);
  });

  it('never anyone but a human of the org', async () => {
    const { m, sent } = messenger({ rootMembers: [] });
    await expect(m.messageHuman(agent.matrixId, '@eve:evil.org', 'hi', turn(1))).rejects.toThrow(/not a human of the org/);
    await expect(m.messageHuman(agent.matrixId, agent.matrixId, 'hi', turn(1))).rejects.toThrow(/not a human of the org/);
    expect(sent).toEqual([]);
  });
});
