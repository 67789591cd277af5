import { describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../../src/agents/runtime.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { AgentHost } from '../../../src/shard/agent-host.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { logger } from '../../../src/log.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);

describe('agent host typing', () => {
  it('shows typing for a slow turn, and the reply does not wait for "stopped typing"', async () => {
    const typing: boolean[] = [];
    const sent: string[] = [];
    const matrix = {
      // "Stopped typing" never returns (a slow homeserver): the reply must go out anyway.
      typing: (_a: string, _r: string, on: boolean) => { typing.push(on); return on ? Promise.resolve() : new Promise<void>(() => {}); },
      send: async (_a: string, _r: string, content: Record<string, unknown>) => { sent.push(String(content.body)); return '$reply'; },
    } as unknown as AgentMatrix;
    const runtime: AgentRuntime = {
      kind: 'slow',
      turn: async () => {
        await new Promise((r) => setTimeout(r, 450));
        return { reply: 'Done.', toolActivity: [], usage: { inputTokens: 1, outputTokens: 1 }, provider: 'fake', model: 'fake' };
      },
      hibernate: async () => {}, close: async () => {},
    };
    const host = new AgentHost({ org, store: new ShardStore(':memory:'), matrix, runtime, log: logger, maxHops: 6, maxInputChars: 100, maxReplyChars: 100 });
    const agent = org.agents()[0]!.matrixId;
    host.accept([{ id: `message:${agent}:$q`, kind: 'message', agentId: agent, roomId: '!dm:x', room: { isDirect: true },
      event: { event_id: '$q', room_id: '!dm:x', sender: org.humans()[0]!.matrixId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'status?' } } }]);
    await Promise.race([host.idle(), new Promise((_, reject) => setTimeout(() => reject(new Error('the reply waited for "stopped typing"')), 3000))]);
    expect(sent).toEqual(['Done.']);
    expect(typing).toEqual([true, false]);
  });
});
