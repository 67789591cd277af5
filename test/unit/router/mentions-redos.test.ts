/**
 * Regex denial of service (issue 12 item 10): mention detection runs on the router's only thread for every event, so
 * each scanner must stay linear in the body, whatever a sender crafts. A Matrix event is at most 65,536 bytes.
 */
import { describe, expect, it } from 'vitest';
import { addressedAgents, pillTargets, stripReplyFallback, stripReplyFallbackHtml } from '../../../src/router/mentions.ts';

const REPEATS = 6_500;

/** Best of a few runs: the machine is shared, and one slow run is noise, while a quadratic scan is slow every time. */
function bestMs(run: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

const hostile: Array<[string, string]> = [
  ['unclosed <mx-reply', '<mx-reply'.repeat(REPEATS)],
  ['unclosed </mx-reply', '</mx-reply'.repeat(REPEATS)],
  ['<mx-reply with attributes and no >', '<mx-reply a="1" '.repeat(REPEATS)],
  ['opening tags closed by one final >', `${'<mx-reply '.repeat(REPEATS)}>`],
  ['href without closing quote', 'href="matrix '.repeat(REPEATS)],
  ['href with alternating unclosed quotes', 'href="x href=\'y '.repeat(REPEATS)],
  ['href with spaces and no =', 'href    matrix'.repeat(REPEATS)],
  ['matrix links without quotes', 'href=matrix:u/'.repeat(REPEATS)],
  ['quote lines without newline', '> '.repeat(REPEATS * 4)],
];

describe('mention scanners are linear on hostile bodies', () => {
  for (const [name, body] of hostile) {
    it(`${name}: ${REPEATS} repeats take < 10 ms`, () => {
      expect(body.length).toBeLessThanOrEqual(65_536 * 2);
      const ms = bestMs(() => {
        stripReplyFallbackHtml(body);
        pillTargets(body);
        stripReplyFallback(body);
      });
      expect(ms).toBeLessThan(10);
    });
  }

  it('the whole detection of a hostile legacy reply takes < 10 ms', () => {
    const body = '<mx-reply'.repeat(REPEATS);
    const event = {
      event_id: '$x', room_id: '!r:x', sender: '@h:x', type: 'm.room.message',
      content: { msgtype: 'm.text', body, format: 'org.matrix.custom.html', formatted_body: body },
    };
    const ctx = { isAgent: () => true, displayNameOf: () => 'Some Name', roomMembers: ['@h:x', '@a:x', '@b:x'], isDirectRoom: false };
    expect(bestMs(() => addressedAgents(event, ctx))).toBeLessThan(10);
  });
});

describe('the linear mx-reply scan keeps the old meaning', () => {
  it('a tag without > is text, and so is everything after it', () => {
    expect(stripReplyFallbackHtml('keep<mx-reply')).toBe('keep<mx-reply');
    expect(stripReplyFallbackHtml('<mx-reply>quoted</mx-reply>reply</mx-reply')).toBe('reply</mx-reply');
  });

  it('a > inside a later tag ends the first one, as [^>]* did', () => {
    // "<mx-reply <mx-reply>" is one opening tag whose attributes contain "<mx-reply".
    expect(stripReplyFallbackHtml('a<mx-reply <mx-reply>q</mx-reply>b')).toBe('ab');
  });

  it('needs a word boundary after the name', () => {
    expect(stripReplyFallbackHtml('a<mx-replyx>b</mx-replyx>c')).toBe('a<mx-replyx>b</mx-replyx>c');
    expect(stripReplyFallbackHtml('a<mx-reply/>b')).toBe('a');
  });
});
