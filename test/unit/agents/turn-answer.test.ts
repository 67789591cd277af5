import { describe, expect, it } from 'vitest';
import { TurnAnswer } from '../../../src/agents/tools/turn-answer.ts';

const CEO = '@morgan.blake:anycompany.corp';
const DIRECTOR = '@dana.director:anycompany.corp';
const STATUS = 'The platform migration is 75% complete, ETA 3 days.';

describe('the answer a turn posts when the model also told its asker through the tool', () => {
  it('without a message through the tool, the final text is the answer as it is', () => {
    expect(new TurnAnswer({ eventId: '$e', to: CEO, sender: CEO }).compose('Hello')).toBe('Hello');
    expect(new TurnAnswer({ eventId: '$e', to: CEO, sender: CEO }).compose(null)).toBeNull();
  });

  it('reporting back: the told status is the answer, the closing remark to the colleague is dropped', () => {
    const answer = new TurnAnswer({ eventId: '$e', to: CEO, sender: DIRECTOR });
    expect(answer.reportsBack).toBe(true);
    answer.tell(STATUS);
    answer.tell(STATUS); // told twice, posted once
    expect(answer.compose('Thanks, I have reported back.')).toBe(STATUS);
    expect(answer.compose(null)).toBe(STATUS);
  });

  it('asked directly: the final text joins the told text once, unless it repeats it', () => {
    const told = (final: string | null) => {
      const answer = new TurnAnswer({ eventId: '$e', to: CEO, sender: CEO });
      answer.tell(STATUS);
      return answer.compose(final);
    };
    expect(told('Anything else?')).toBe(`${STATUS}\n\nAnything else?`);
    expect(told('75% complete')).toBe(STATUS);
    expect(told(`Here it is: ${STATUS} Ask me for details.`)).toBe(`Here it is: ${STATUS} Ask me for details.`);
    expect(told(null)).toBe(STATUS);
  });

  it('numbers the messages of a turn per recipient', () => {
    const answer = new TurnAnswer({ eventId: '$e', to: CEO, sender: CEO });
    expect([answer.nextMessageTo(DIRECTOR), answer.nextMessageTo(DIRECTOR), answer.nextMessageTo(CEO)]).toEqual([0, 1, 0]);
  });
});
