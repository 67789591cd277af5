import { describe, expect, it } from 'vitest';
import {
  addressedAgents,
  addressing,
  isDirectChat,
  isEdit,
  pillTargets,
  repliedEventId,
  stripReplyFallback,
  stripReplyFallbackHtml,
  type MentionContext,
  type RoomEvent,
} from '../../../src/router/mentions.ts';

const AARON = '@aaron.phillips:anycompany.corp';
const BETH = '@beth.nguyen:anycompany.corp';
const CARLOS = '@carlos.ruiz:anycompany.corp';
const DANA = '@dana.kim:anycompany.corp'; // an agent that is not a member of the test room
const ALICE = '@alice:anycompany.corp'; // human on the same domain (namespace is not exclusive)
const BOB = '@bob:example.org'; // human from another server
const ROOM = '!projects:anycompany.corp';

const AGENTS = new Set([AARON, BETH, CARLOS, DANA]);
const NAMES: Record<string, string> = {
  [AARON]: 'Aaron Phillips',
  [BETH]: 'Beth Nguyen',
  [CARLOS]: 'Carlos Ruiz',
  [DANA]: 'Dana Kim',
  [ALICE]: 'Alice Meyer',
};

function ctx(overrides: Partial<MentionContext> = {}): MentionContext {
  return {
    isAgent: (userId) => AGENTS.has(userId),
    displayNameOf: (userId) => NAMES[userId],
    roomMembers: [ALICE, BOB, AARON, BETH, CARLOS],
    isDirectRoom: false,
    ...overrides,
  };
}

const dmCtx = (...members: string[]): MentionContext => ctx({ roomMembers: members, isDirectRoom: true });

let counter = 0;
/** An m.room.message as a homeserver delivers it to the appservice. */
function message(content: Record<string, unknown>, overrides: Partial<RoomEvent> = {}): RoomEvent {
  counter += 1;
  return {
    type: 'm.room.message',
    sender: ALICE,
    event_id: `$event${counter}:anycompany.corp`,
    room_id: ROOM,
    origin_server_ts: 1_760_000_000_000 + counter,
    content,
    unsigned: { age: 42 },
    ...overrides,
  };
}

/** What Element Web sends for "hello <pill Aaron>" since it supports intentional mentions. */
function elementPillMessage(target: string, name: string): Record<string, unknown> {
  return {
    msgtype: 'm.text',
    body: `${name}: can you review the Q3 numbers?`,
    format: 'org.matrix.custom.html',
    formatted_body: `<a href="https://matrix.to/#/${target}">${name}</a>: can you review the Q3 numbers?`,
    'm.mentions': { user_ids: [target] },
  };
}

/** A rich reply with the (pre-v1.13) fallback, as Element and matrix-js-sdk sent it for years. */
function legacyReply(quotedSender: string, quoted: string, reply: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    msgtype: 'm.text',
    body: `> <${quotedSender}> ${quoted}\n\n${reply}`,
    format: 'org.matrix.custom.html',
    formatted_body:
      `<mx-reply><blockquote><a href="https://matrix.to/#/${ROOM}/$orig:anycompany.corp?via=anycompany.corp">In reply to</a> ` +
      `<a href="https://matrix.to/#/${quotedSender}">${quotedSender}</a><br>${quoted}</blockquote></mx-reply>${reply}`,
    'm.relates_to': { 'm.in_reply_to': { event_id: '$orig:anycompany.corp' } },
    ...extra,
  };
}

describe('stripReplyFallback', () => {
  it('removes the quoted lines and the blank separator line', () => {
    const body = '> <@aaron.phillips:anycompany.corp> Here is the report\n> with two lines\n\nThanks, looks good\n> my own quote';
    expect(stripReplyFallback(body)).toBe('Thanks, looks good\n> my own quote');
  });

  it('leaves a body without a leading quote untouched', () => {
    expect(stripReplyFallback('Thanks\n> quoted later')).toBe('Thanks\n> quoted later');
    expect(stripReplyFallback('>not a quote')).toBe('>not a quote');
  });

  it('handles bare ">" lines, CRLF and a body that is only a quote', () => {
    expect(stripReplyFallback('> <@a:b> first\n>\n> third\n\nreply')).toBe('reply');
    expect(stripReplyFallback('> <@a:b> quoted\r\n\r\nreply')).toBe('reply');
    expect(stripReplyFallback('> <@a:b> only a quote')).toBe('');
  });
});

describe('stripReplyFallbackHtml', () => {
  it('removes the mx-reply block and keeps the reply', () => {
    const html = legacyReply(AARON, 'Report', 'Thanks <b>Beth</b>')['formatted_body'] as string;
    expect(stripReplyFallbackHtml(html)).toBe('Thanks <b>Beth</b>');
  });

  it('does not let a nested fallback end the block early', () => {
    const html = '<mx-reply><mx-reply>inner</mx-reply><a href="https://matrix.to/#/@beth.nguyen:anycompany.corp">B</a></mx-reply>hi';
    expect(stripReplyFallbackHtml(html)).toBe('hi');
  });

  it('treats an unclosed mx-reply as running to the end, and is case-insensitive', () => {
    expect(stripReplyFallbackHtml('before<MX-REPLY class="x">quoted pill')).toBe('before');
    expect(stripReplyFallbackHtml('no fallback here')).toBe('no fallback here');
  });
});

describe('pillTargets', () => {
  it('decodes percent-encoded matrix.to links and drops the via query', () => {
    const html = '<a href="https://matrix.to/#/%40aaron.phillips%3Aanycompany.corp?via=anycompany.corp&amp;via=example.org">Aaron</a>';
    expect(pillTargets(html)).toEqual([AARON]);
  });

  it('reads unencoded matrix.to links, matrix:u/ URIs and single-quoted attributes, in order, without duplicates', () => {
    const html =
      `<a href="https://matrix.to/#/${BETH}">Beth</a> and <a href='matrix:u/carlos.ruiz:anycompany.corp?action=chat'>Carlos</a>` +
      ` and <a href="matrix:u/aaron.phillips%3Aanycompany.corp">Aaron</a> and again <a href="https://matrix.to/#/${BETH}">Beth</a>`;
    expect(pillTargets(html)).toEqual([BETH, CARLOS, AARON]);
  });

  it('ignores room, alias and event links, other sites, and malformed encodings', () => {
    const html =
      `<a href="https://matrix.to/#/${ROOM}/$ev:anycompany.corp">msg</a>` +
      '<a href="https://matrix.to/#/#general:anycompany.corp">#general</a>' +
      '<a href="matrix:r/general:anycompany.corp">room</a>' +
      '<a href="https://example.org/#/@aaron.phillips:anycompany.corp">fake</a>' +
      '<a href="https://matrix.to/#/%40broken%E0%A4%A">bad</a>' +
      '<a href="https://matrix.to/#/@nodomain">x</a>';
    expect(pillTargets(html)).toEqual([]);
  });
});

describe('repliedEventId and isEdit', () => {
  it('returns the reply target of a rich reply', () => {
    expect(repliedEventId(message(legacyReply(AARON, 'q', 'a')))).toBe('$orig:anycompany.corp');
  });

  it('ignores the m.in_reply_to that a thread message carries only as a fallback', () => {
    const threadFallback = message({
      msgtype: 'm.text',
      body: 'following up in the thread',
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$latest' } },
    });
    expect(repliedEventId(threadFallback)).toBeUndefined();
  });

  it('returns the target of a genuine reply inside a thread', () => {
    const threadReply = message({
      msgtype: 'm.text',
      body: 'answering you specifically',
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: false, 'm.in_reply_to': { event_id: '$specific' } },
    });
    expect(repliedEventId(threadReply)).toBe('$specific');
  });

  it('recognises edits only by the m.replace relation', () => {
    expect(isEdit(message({ body: ' * fixed', 'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' } }))).toBe(true);
    expect(isEdit(message(legacyReply(AARON, 'q', 'a')))).toBe(false);
    expect(isEdit(message({ body: 'x', 'm.relates_to': 'm.replace' }))).toBe(false);
  });
});

describe('addressedAgents: which events count', () => {
  it('ignores everything that is not an m.room.message, even in a DM', () => {
    const dm = dmCtx(ALICE, AARON);
    const reaction = message({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }, { type: 'm.reaction' });
    const member = message({ membership: 'join', displayname: 'Alice' }, { type: 'm.room.member', state_key: ALICE });
    const redaction = message({ redacts: '$x' }, { type: 'm.room.redaction' });
    const encrypted = message({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA' }, { type: 'm.room.encrypted' });
    for (const event of [reaction, member, redaction, encrypted]) expect(addressedAgents(event, dm)).toEqual([]);
  });

  it('ignores a state event even if it claims to be a message', () => {
    expect(addressedAgents(message(elementPillMessage(AARON, 'Aaron Phillips'), { state_key: '' }), ctx())).toEqual([]);
  });

  it('never answers m.notice, even when it mentions an agent in a DM', () => {
    const notice = { ...elementPillMessage(AARON, 'Aaron Phillips'), msgtype: 'm.notice' };
    expect(addressedAgents(message(notice, { sender: BOB }), dmCtx(BOB, AARON))).toEqual([]);
  });

  it('ignores redacted messages', () => {
    const redacted = message({}, { unsigned: { redacted_because: { type: 'm.room.redaction', sender: ALICE } } });
    expect(addressedAgents(redacted, dmCtx(ALICE, AARON))).toEqual([]);
    // Servers that show moderators redacted content (MSC2815) keep the body: still not something to answer.
    const preserved = message(elementPillMessage(AARON, 'Aaron Phillips'), {
      unsigned: { redacted_because: { type: 'm.room.redaction', sender: ALICE } },
    });
    expect(addressedAgents(preserved, ctx())).toEqual([]);
  });

  it('never addresses the sender itself', () => {
    const own = message(elementPillMessage(AARON, 'Aaron Phillips'), { sender: AARON });
    expect(addressedAgents(own, dmCtx(AARON, BETH))).toEqual([{ agentId: BETH, reason: 'dm' }]);
    expect(addressedAgents(own, ctx())).toEqual([]);
  });

  it('never returns a human, whatever mechanism names them', () => {
    const content = {
      ...legacyReply(ALICE, 'q', 'Bob and Alice Meyer, see <a href="https://matrix.to/#/@bob:example.org">Bob</a>'),
      body: '> <@alice:anycompany.corp> q\n\nBob and Alice Meyer, see Bob',
      'm.mentions': { user_ids: [ALICE, BOB] },
    };
    expect(addressedAgents(message(content, { sender: AARON }), ctx({ roomMembers: [ALICE, BOB, AARON], isDirectRoom: true, repliedToSender: ALICE }))).toEqual([]);
  });
});

describe('addressedAgents: direct rooms', () => {
  it('addresses the agent a human is chatting with', () => {
    const event = message({ msgtype: 'm.text', body: 'hi, quick question', 'm.mentions': {} });
    expect(addressedAgents(event, dmCtx(ALICE, AARON))).toEqual([{ agentId: AARON, reason: 'dm' }]);
  });

  it('addresses the other agent when two agents chat, but no human', () => {
    const event = message({ msgtype: 'm.text', body: 'can you take this one?' }, { sender: BETH });
    expect(addressedAgents(event, dmCtx(BETH, AARON))).toEqual([{ agentId: AARON, reason: 'dm' }]);
  });

  it('a room flagged direct that grew past two members is a group: nobody is addressed by the DM rule', () => {
    const event = message({ msgtype: 'm.text', body: 'hi both', 'm.mentions': {} }, { sender: BOB });
    expect(addressedAgents(event, dmCtx(BOB, ALICE, AARON, BETH))).toEqual([]);
    expect(addressedAgents(message({ msgtype: 'm.text', body: 'hi', 'm.mentions': {} }), dmCtx(ALICE, AARON, BETH))).toEqual([]);
    expect([isDirectChat(1), isDirectChat(2), isDirectChat(3)]).toEqual([false, true, false]);
  });

  it('an agent writing to a human in a DM addresses nobody', () => {
    const event = message({ msgtype: 'm.text', body: 'Here is the summary you asked for.' }, { sender: AARON });
    expect(addressedAgents(event, dmCtx(ALICE, AARON))).toEqual([]);
  });
});

describe('addressedAgents: intentional mentions (m.mentions)', () => {
  it('addresses the users listed, with m.mentions taking precedence over the pill', () => {
    const event = message(elementPillMessage(AARON, 'Aaron Phillips'));
    expect(addressedAgents(event, ctx())).toEqual([{ agentId: AARON, reason: 'm.mentions' }]);
  });

  it('keeps the order of user_ids, removes duplicates, and does not wake agents outside the room', () => {
    const event = message({ msgtype: 'm.text', body: 'Carlos, Aaron, Dana: sync', 'm.mentions': { user_ids: [CARLOS, AARON, CARLOS, DANA] } });
    expect(addressing(event, ctx())).toEqual({
      addressed: [{ agentId: CARLOS, reason: 'm.mentions' }, { agentId: AARON, reason: 'm.mentions' }],
      notInRoom: [DANA],
      overCap: [],
    });
  });

  it('an invited agent is in the room', () => {
    const event = message({ msgtype: 'm.text', body: 'welcome Dana', 'm.mentions': { user_ids: [DANA] } });
    expect(addressedAgents(event, ctx({ roomMembers: [ALICE, AARON, DANA] }))).toEqual([{ agentId: DANA, reason: 'm.mentions' }]);
  });

  it('wakes at most limits.maxAgentsPerEvent agents, the first listed', () => {
    const event = message({ msgtype: 'm.text', body: 'all of you', 'm.mentions': { user_ids: [BETH, CARLOS, AARON] } });
    expect(addressing(event, ctx({ limits: { maxAgentsPerEvent: 2 } }))).toEqual({
      addressed: [{ agentId: BETH, reason: 'm.mentions' }, { agentId: CARLOS, reason: 'm.mentions' }],
      notInRoom: [],
      overCap: [AARON],
    });
  });

  it('ignores pills when m.mentions is present, even an empty one (spec v1.7: m.mentions is authoritative)', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'Beth Nguyen please check',
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${BETH}">Beth Nguyen</a> please check`,
      'm.mentions': {},
    });
    expect(addressedAgents(event, ctx())).toEqual([]);
  });

  it('does not wake every agent for an @room mention', () => {
    const event = message({
      msgtype: 'm.text',
      body: '@room all hands at 3pm',
      format: 'org.matrix.custom.html',
      formatted_body: '@room all hands at 3pm',
      'm.mentions': { room: true },
    });
    expect(addressedAgents(event, ctx())).toEqual([]);
  });

  it('does not fall back to names when the client sent an empty m.mentions', () => {
    const event = message({ msgtype: 'm.text', body: 'Aaron Phillips wrote a nice report', 'm.mentions': {} });
    expect(addressedAgents(event, ctx())).toEqual([]);
  });
});

describe('addressedAgents: pills', () => {
  it('addresses a pilled agent from a legacy client (no m.mentions)', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'please check',
      format: 'org.matrix.custom.html',
      formatted_body: '<a href="https://matrix.to/#/%40beth.nguyen%3Aanycompany.corp?via=anycompany.corp">Beth</a> please check',
    });
    expect(addressedAgents(event, ctx())).toEqual([{ agentId: BETH, reason: 'pill' }]);
  });

  it('does not wake a pilled agent outside the room', () => {
    const event = message({
      msgtype: 'm.text', body: 'please check', format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${DANA}">Dana</a> please check`,
    });
    expect(addressing(event, ctx())).toEqual({ addressed: [], notInRoom: [DANA], overCap: [] });
  });

  it('ignores pills when the body is not declared as HTML', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'hello',
      formatted_body: `<a href="https://matrix.to/#/${BETH}">Beth</a>`,
      'm.mentions': {},
    });
    expect(addressedAgents(event, ctx())).toEqual([]);
  });

  it('ignores pills inside the quoted reply fallback', () => {
    const event = message(legacyReply(BETH, 'Budget is final', 'Great, thanks', { 'm.mentions': {} }));
    expect(addressedAgents(event, ctx({ repliedToSender: ALICE }))).toEqual([]);
  });
});

describe('addressedAgents: replies', () => {
  it('addresses the agent whose message is replied to', () => {
    const event = message(legacyReply(AARON, 'Here is the Q3 report', 'Thanks, looks good'));
    expect(addressedAgents(event, ctx({ repliedToSender: AARON }))).toEqual([{ agentId: AARON, reason: 'reply' }]);
  });

  it('a modern reply lists the replied-to sender in m.mentions, which wins', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'Thanks, looks good',
      'm.mentions': { user_ids: [AARON] },
      'm.relates_to': { 'm.in_reply_to': { event_id: '$orig:anycompany.corp' } },
    });
    expect(addressedAgents(event, ctx({ repliedToSender: AARON }))).toEqual([{ agentId: AARON, reason: 'm.mentions' }]);
  });

  it('does not wake the replied-to agent once it has left the room', () => {
    const event = message(legacyReply(DANA, 'Here is the Q3 report', 'Thanks'));
    expect(addressing(event, ctx({ repliedToSender: DANA }))).toEqual({ addressed: [], notInRoom: [DANA], overCap: [] });
  });

  it('does not address anyone for a reply to a human', () => {
    const event = message(legacyReply(BOB, 'lunch?', 'sure'), { sender: ALICE });
    expect(addressedAgents(event, ctx({ repliedToSender: BOB }))).toEqual([]);
  });

  it('does not treat a thread fallback as a reply to the latest thread message', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'more context for everyone in the thread',
      'm.mentions': {},
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$latest' } },
    });
    expect(addressedAgents(event, ctx({ repliedToSender: AARON }))).toEqual([]);
  });

  it('does treat an explicit reply inside a thread as a reply', () => {
    const event = message({
      msgtype: 'm.text',
      body: 'exactly this',
      'm.mentions': {},
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: false, 'm.in_reply_to': { event_id: '$aarons' } },
    });
    expect(addressedAgents(event, ctx({ repliedToSender: AARON }))).toEqual([{ agentId: AARON, reason: 'reply' }]);
  });
});

describe('addressedAgents: plain text from legacy clients (no m.mentions)', () => {
  const plain = (body: string, sender = ALICE) => message({ msgtype: 'm.text', body }, { sender });
  const plainIds = (body: string, context = ctx()) => addressedAgents(plain(body), context).map((a) => a.agentId);

  it('matches display names case-insensitively as whole words', () => {
    expect(addressedAgents(plain('hey aaron PHILLIPS, got a minute?'), ctx())).toEqual([{ agentId: AARON, reason: 'plain-text' }]);
    expect(plainIds('Beth Nguyen\'s draft is in')).toEqual([BETH]);
    expect(plainIds('ask Aaron Phillipson')).toEqual([]);
    expect(plainIds('MrAaron Phillips')).toEqual([]);
  });

  it('matches the localpart with or without @ and the full user id', () => {
    expect(plainIds('aaron.phillips: status?')).toEqual([AARON]);
    expect(plainIds('cc @beth.nguyen.')).toEqual([BETH]);
    expect(plainIds('ping @carlos.ruiz:anycompany.corp please')).toEqual([CARLOS]);
  });

  it('does not match a longer localpart or the same localpart on another server', () => {
    expect(plainIds('cc aaron.phillips.jr and xaaron.phillips')).toEqual([]);
    expect(plainIds('ping @aaron.phillips:elsewhere.org')).toEqual([]);
  });

  it('only considers agents that are members of the room, in member order', () => {
    expect(plainIds('Dana Kim and Carlos Ruiz and Aaron Phillips')).toEqual([AARON, CARLOS]);
    expect(plainIds('Alice Meyer, are you there?')).toEqual([]);
  });

  it('stops at the cap, and matches no names in rooms larger than limits.nameMatchMaxMembers', () => {
    const all = 'Aaron Phillips, Beth Nguyen, Carlos Ruiz';
    expect(addressing(plain(all), ctx({ limits: { maxAgentsPerEvent: 1 } }))).toEqual({
      addressed: [{ agentId: AARON, reason: 'plain-text' }], notInRoom: [], overCap: [BETH],
    });
    expect(plainIds(all, ctx({ limits: { nameMatchMaxMembers: 4 } }))).toEqual([]);
    expect(plainIds(all, ctx({ limits: { nameMatchMaxMembers: 5 } }))).toEqual([AARON, BETH, CARLOS]);
  });

  it('does not match names quoted in the reply fallback', () => {
    const event = message(legacyReply(ALICE, 'Carlos Ruiz said it is done', 'ok then'), { sender: BOB });
    expect(addressedAgents(event, ctx({ repliedToSender: ALICE }))).toEqual([]);
  });

  it('matches accented names and names with punctuation', () => {
    const jose = '@jose.nunez:anycompany.corp';
    const pat = '@pat.obrien:anycompany.corp';
    const names: Record<string, string> = { [jose]: 'José Núñez', [pat]: "Pat O'Brien (Finance)" };
    const context = ctx({ isAgent: (u) => u === jose || u === pat, displayNameOf: (u) => names[u], roomMembers: [ALICE, jose, pat] });
    expect(plainIds('JOSÉ NÚÑEZ, ¿puedes revisar?', context)).toEqual([jose]);
    expect(plainIds('José Núñezz', context)).toEqual([]);
    expect(plainIds("thanks pat o'brien (finance)!", context)).toEqual([pat]);
    expect(plainIds("thanks Pat O'Brien", context)).toEqual([]);
  });

  it('does not let the sender match itself', () => {
    expect(addressedAgents(plain('I am Aaron Phillips and Beth Nguyen will help', AARON), ctx())).toEqual([
      { agentId: BETH, reason: 'plain-text' },
    ]);
  });
});

describe('addressedAgents: edits', () => {
  const edit = (topLevelMentions: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) => {
    const content: Record<string, unknown> = {
      msgtype: 'm.text',
      body: ' * Aaron Phillips: can you review?',
      format: 'org.matrix.custom.html',
      formatted_body: ` * <a href="https://matrix.to/#/${AARON}">Aaron Phillips</a>: can you review?`,
      'm.new_content': {
        msgtype: 'm.text',
        body: 'Aaron Phillips: can you review?',
        format: 'org.matrix.custom.html',
        formatted_body: `<a href="https://matrix.to/#/${AARON}">Aaron Phillips</a>: can you review?`,
        'm.mentions': { user_ids: [AARON] },
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig:anycompany.corp' },
      ...extra,
    };
    if (topLevelMentions !== undefined) content['m.mentions'] = topLevelMentions;
    return message(content);
  };

  it('ignores m.new_content, pills and text: an edit that mentions nobody new addresses nobody', () => {
    expect(addressedAgents(edit({}), ctx({ repliedToSender: AARON }))).toEqual([]);
    expect(addressedAgents(edit(undefined), ctx())).toEqual([]);
  });

  it('addresses only the newly mentioned users from the top-level m.mentions, if they are in the room', () => {
    expect(addressedAgents(edit({ user_ids: [BETH, ALICE, DANA] }), ctx())).toEqual([{ agentId: BETH, reason: 'm.mentions' }]);
  });

  it('does not re-trigger the agent of a DM', () => {
    expect(addressedAgents(edit({}), dmCtx(ALICE, AARON))).toEqual([]);
  });
});

describe('addressedAgents: malformed content never throws', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['missing body', { msgtype: 'm.text', 'm.mentions': { user_ids: [AARON] } }],
    ['numeric body', { msgtype: 'm.text', body: 42 }],
    ['m.mentions is a string', { msgtype: 'm.text', body: 'Aaron Phillips', 'm.mentions': 'everyone' }],
    ['user_ids is not an array', { msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: AARON } }],
    ['formatted_body is not a string', { msgtype: 'm.text', body: 'hi', format: 'org.matrix.custom.html', formatted_body: ['<a>'], 'm.mentions': {} }],
    ['garbage HTML', { msgtype: 'm.text', body: 'hi', format: 'org.matrix.custom.html', formatted_body: '<a href="https://matrix.to/#/%%%<mx-reply></mx-reply></mx-reply><<a href=\'', 'm.mentions': {} }],
    ['m.relates_to is a string', { msgtype: 'm.text', body: 'hi', 'm.mentions': {}, 'm.relates_to': 'reply' }],
    ['in_reply_to event_id is a number', { msgtype: 'm.text', body: 'hi', 'm.mentions': {}, 'm.relates_to': { 'm.in_reply_to': { event_id: 7 } } }],
  ];

  for (const [name, content] of cases) {
    it(`returns [] for ${name}`, () => {
      expect(addressedAgents(message(content), ctx({ repliedToSender: AARON }))).toEqual([]);
    });
  }

  it('keeps valid user ids when others in the list are garbage', () => {
    const event = message({ msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [null, 5, { id: AARON }, BETH] } });
    expect(addressedAgents(event, ctx())).toEqual([{ agentId: BETH, reason: 'm.mentions' }]);
  });

  it('survives null content, unsigned and relation fields', () => {
    const broken = { ...message({}), content: null, unsigned: 'x' } as unknown as RoomEvent;
    expect(addressedAgents(broken, dmCtx(ALICE, AARON))).toEqual([]);
    expect(repliedEventId(broken)).toBeUndefined();
    expect(isEdit(broken)).toBe(false);
    expect(pillTargets(undefined as unknown as string)).toEqual([]);
    expect(stripReplyFallback(undefined as unknown as string)).toBeUndefined();
  });
});
