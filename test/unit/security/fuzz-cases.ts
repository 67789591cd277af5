/**
 * Generated garbage for the appservice endpoint and mention detection, shared by the quick run in the unit suite
 * and the 10,000-case run of `./fleet test --long` (test/long/fuzz.test.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { addressing, type MentionContext, type RoomEvent } from '../../../src/router/mentions.ts';
import { DurableAppService } from '../../../src/router/appservice-listener.ts';
import { Inbox } from '../../../src/router/inbox.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const DOMAIN = 'anycompany.corp';
export const AGENTS = [
  { id: `@samantha.reed:${DOMAIN}`, name: 'Samantha Reed' },
  { id: `@aaron.phillips:${DOMAIN}`, name: 'Aaron Phillips' },
  { id: `@olivia.chen:${DOMAIN}`, name: 'Olivia Chen' },
];
const HUMAN = `@morgan.blake:${DOMAIN}`;
const OUTSIDER_AGENT = { id: `@noah.kim:${DOMAIN}`, name: 'Noah Kim' }; // an agent, but not in the room

/** Latin letters and the Cyrillic/Greek letters that look the same: a name spelt with them names nobody. */
const HOMOGLYPHS: Record<string, string[]> = {
  a: ['а', 'α'], e: ['е', 'ε'], o: ['о', 'ο'], p: ['р', 'ρ'], c: ['с'], i: ['і', 'ι'], n: ['п'], h: ['һ'], l: ['ӏ'],
  s: ['ѕ'], r: ['г'], m: ['м'], d: ['ԁ'], k: ['к'], y: ['у'], A: ['А', 'Α'], S: ['Ѕ'], O: ['О'], R: ['Ꭱ'], C: ['С'], N: ['Ν'], P: ['Р'],
};

/** `text` with at least one letter swapped for a look-alike. */
const lookAlike = (text: string): fc.Arbitrary<string> => {
  const swappable = [...text].map((ch, i) => [ch, i] as const).filter(([ch]) => HOMOGLYPHS[ch]);
  return fc.tuple(fc.subarray(swappable, { minLength: 1 }), fc.nat()).map(([swaps, pick]) => {
    const chars = [...text];
    for (const [ch, i] of swaps) chars[i] = HOMOGLYPHS[ch]![pick % HOMOGLYPHS[ch]!.length]!;
    return chars.join('');
  });
};
const lookAlikeOfSomeone = fc.constantFrom(...AGENTS, OUTSIDER_AGENT).chain((a) => fc.oneof(
  lookAlike(a.name), lookAlike(a.id), lookAlike(a.id.slice(1).split(':')[0]!), lookAlike(a.name).map((n) => `@${n}`),
));

const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true });
const words = fc.constantFrom('hi', 'please', 'report', 'the', 'budget', 'room', '@room', ':', '<', '>', '&amp;', '\u200b', '\u202e', '💥', 'Ω');
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(fc.oneof(words, lookAlikeOfSomeone), { maxLength: 20 }).map((w) => w.join(' ')),
  fc.integer({ min: 1, max: 20 }).map((n) => 'x'.repeat(n * 10_000)), // huge bodies
);
/** Deep, unclosed or malformed HTML, with pills to real and look-alike users. */
const html = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.integer({ min: 1, max: 3000 }).map((d) => `${'<blockquote><a href="https://matrix.to/#/'.repeat(d)}x`),
  fc.tuple(lookAlikeOfSomeone, fc.constantFrom('', '"', '">', '</a')).map(([id, end]) => `<a href="https://matrix.to/#/${encodeURIComponent(id)}${end}`),
  fc.constantFrom('<mx-reply><a href="https://matrix.to/#/@samantha.reed:anycompany.corp">x</a>', '<mx-reply>'.repeat(500), '<!--', '<a href=', '\u0000'),
);
const userIds = fc.array(fc.oneof(lookAlikeOfSomeone, anything, fc.constant(OUTSIDER_AGENT.id)), { maxLength: 5 });
const relation = fc.oneof(
  fc.record({ rel_type: fc.constant('m.replace'), event_id: fc.oneof(fc.string(), anything) }),
  fc.record({ 'm.in_reply_to': fc.oneof(fc.record({ event_id: fc.string() }), fc.record({}), anything) }), // replies to missing events
  fc.record({ rel_type: fc.constant('m.thread'), is_falling_back: fc.boolean(), 'm.in_reply_to': fc.record({ event_id: fc.string() }) }),
  anything,
);
const content = fc.oneof(
  fc.record({
    msgtype: fc.oneof(fc.constantFrom('m.text', 'm.notice', 'm.emote', 'm.file'), anything),
    body: fc.oneof(text, anything),
    format: fc.oneof(fc.constant('org.matrix.custom.html'), anything),
    formatted_body: fc.oneof(html, anything),
    'm.mentions': fc.oneof(fc.record({ user_ids: fc.oneof(userIds, anything), room: fc.boolean() }, { requiredKeys: [] }), anything),
    'm.relates_to': relation,
    'm.new_content': anything,
  }, { requiredKeys: [] }),
  anything,
);
/** Events of every shape: wrong types, missing fields, unknown types, redactions, state, edits, replies. */
export const event: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    event_id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }).map((s) => `$${s}`), anything),
    room_id: fc.oneof(fc.constant('!r:anycompany.corp'), fc.string(), anything),
    sender: fc.oneof(fc.constantFrom(HUMAN, ...AGENTS.map((a) => a.id)), lookAlikeOfSomeone, anything),
    type: fc.oneof(fc.constantFrom('m.room.message', 'm.room.member', 'm.room.redaction', 'm.reaction', 'm.sticker', 'org.example.unknown'), anything),
    state_key: fc.oneof(fc.string(), anything),
    content,
    unsigned: fc.oneof(fc.record({ redacted_because: anything }), anything),
  }, { requiredKeys: ['event_id', 'room_id', 'sender', 'type', 'content'] }),
  anything,
);

/**
 * Mention detection on garbage: never throws; names only agents of the room, never the sender, each once, within
 * the cap; and an event whose text and mentions name people only in look-alike letters addresses nobody.
 */
export function mentionProperties(numRuns: number): void {
  const room = [HUMAN, ...AGENTS.map((a) => a.id)];
  const ctx = (members: string[], isDirectRoom: boolean, repliedToSender?: string): MentionContext => ({
    isAgent: (id) => [...AGENTS, OUTSIDER_AGENT].some((a) => a.id === id),
    displayNameOf: (id) => [...AGENTS, OUTSIDER_AGENT].find((a) => a.id === id)?.name,
    roomMembers: members, isDirectRoom, ...(repliedToSender ? { repliedToSender } : {}), limits: { maxAgentsPerEvent: 2 },
  });
  fc.assert(fc.property(event, fc.subarray(room), fc.boolean(), fc.option(fc.constantFrom(...room), { nil: undefined }), (ev, members, dm, replied) => {
    const r = addressing(ev as RoomEvent, ctx(members, dm, replied));
    const ids = r.addressed.map((a) => a.agentId);
    if (new Set(ids).size !== ids.length || ids.length > 2) return false;
    const sender = (ev as { sender?: unknown })?.sender;
    return ids.every((id) => members.includes(id) && id !== sender && AGENTS.some((a) => a.id === id));
  }), { numRuns });

  const lookAlikeMessage = fc.record({
    event_id: fc.constant('$e'), room_id: fc.constant('!r:x'), sender: fc.constant(HUMAN), type: fc.constant('m.room.message'),
    content: fc.record({
      msgtype: fc.constant('m.text'),
      body: fc.array(fc.oneof(words, lookAlikeOfSomeone), { minLength: 1, maxLength: 12 }).map((w) => w.join(' ')),
      format: fc.constant('org.matrix.custom.html'),
      formatted_body: fc.tuple(lookAlikeOfSomeone, lookAlikeOfSomeone).map(([a, b]) => `<a href="https://matrix.to/#/${a}">${b}</a>`),
      'm.mentions': fc.record({ user_ids: fc.array(lookAlikeOfSomeone, { maxLength: 3 }) }),
    }, { requiredKeys: ['msgtype', 'body'] }),
  });
  fc.assert(fc.property(lookAlikeMessage, (ev) => addressing(ev as RoomEvent, ctx(room, false)).addressed.length === 0), { numRuns });
}

export interface Endpoint { url: string; inbox: Inbox; storedTwice(): number; close(): Promise<void> }

/** The router's appservice listener alone, on a fresh in-memory inbox, with a 64 KB body limit. */
export async function appserviceEndpoint(hsToken: string): Promise<Endpoint> {
  const db = openRouterStore(':memory:');
  const inbox = new Inbox(db);
  const listener = new DurableAppService({ homeserverToken: hsToken, inbox, onAccepted: () => {}, log: pino({ level: 'silent' }), maxBodyBytes: 64_000 });
  listener.installErrorHandler();
  const server: Server = await new Promise((resolve) => { const s = listener.expressApp.listen(0, '127.0.0.1', () => resolve(s)); });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inbox,
    storedTwice: () => (db.prepare('SELECT COUNT(*) AS n FROM (SELECT event_id FROM inbox GROUP BY event_id HAVING COUNT(*) > 1)').get() as { n: number }).n,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => { db.close(); r(); }); }),
  };
}

/** A transaction body: usually `{events: [...]}`, sometimes the wrong shape, sometimes not JSON at all. */
const transactionBody = fc.oneof(
  { weight: 6, arbitrary: fc.array(event, { maxLength: 8 }).map((events) => ({ json: true as const, body: JSON.stringify({ events }) })) },
  { weight: 1, arbitrary: anything.map((v) => ({ json: true as const, body: JSON.stringify(v) ?? 'null' })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => ({ json: false as const, body: s })) },
  { weight: 1, arbitrary: fc.integer({ min: 70, max: 200 }).map((k) => ({ json: true as const, body: JSON.stringify({ events: [{ event_id: '$big', body: 'x'.repeat(k * 1000) }] }) })) },
);

/**
 * The appservice endpoint on garbage: it always answers (never 5xx, never a hang); a body that is not
 * `{events: [...]}` gets a 4xx with a Matrix errcode; a well-formed transaction sent twice is stored once.
 */
export async function endpointProperties(numRuns: number): Promise<{ cases: number; accepted: number; refused: number }> {
  const hsToken = 'hs-fuzz-token';
  const endpoint = await appserviceEndpoint(hsToken);
  let accepted = 0;
  let refused = 0;
  let txn = 0;
  try {
    await fc.assert(fc.asyncProperty(transactionBody, fc.boolean(), async ({ body }, resend) => {
      const id = `t${txn++}`;
      const put = () => fetch(`${endpoint.url}/_matrix/app/v1/transactions/${id}`, {
        method: 'PUT', headers: { authorization: `Bearer ${hsToken}`, 'content-type': 'application/json' }, body,
      });
      const res = await put();
      const answer = (await res.json().catch(() => undefined)) as { errcode?: string } | undefined;
      if (res.status >= 500 || answer === undefined) return false;
      let wellFormed = false;
      try {
        const parsed = JSON.parse(body) as { events?: unknown };
        wellFormed = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Array.isArray(parsed.events) && body.length <= 64_000;
      } catch { /* not JSON */ }
      if (!wellFormed) {
        refused++;
        return res.status >= 400 && res.status < 500 && typeof answer.errcode === 'string';
      }
      if (res.status !== 200) return false;
      accepted++;
      if (resend && (await put()).status !== 200) return false;
      return endpoint.storedTwice() === 0;
    }), { numRuns });
  } finally {
    await endpoint.close();
  }
  return { cases: numRuns, accepted, refused };
}
