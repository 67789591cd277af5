import { describe, expect, it } from 'vitest';
import { parseIdentity, scriptedReply, type ScriptRule } from '../../../src/providers/scripted/brain.ts';
import { ScriptBook } from '../../../src/providers/scripted/script-book.ts';
import type { ChatMessage } from '../../../src/providers/types.ts';

const vpPrompt = [
  'You are a virtual employee of AnyCompany.',
  'Name: Morgan Blake',
  'Title: VP Engineering',
  'Reports to: Alex Kim (Chief Executive Officer)',
  'Direct reports: 6',
].join('\n');
const ceoPrompt = 'Name: Alex Kim\nTitle: Chief Executive Officer\nReports to: nobody\nDirect reports: 8';

function convo(system: string, ...rest: ChatMessage[]): ChatMessage[] {
  return [{ role: 'system', content: system }, ...rest];
}
const user = (content: string): ChatMessage => ({ role: 'user', content });

describe('parseIdentity', () => {
  it('reads name, title, manager and direct reports from the system prompt', () => {
    expect(parseIdentity(convo(vpPrompt))).toEqual({
      name: 'Morgan Blake',
      title: 'VP Engineering',
      manager: { name: 'Alex Kim', title: 'Chief Executive Officer' },
      directReports: 6,
    });
    expect(parseIdentity(convo(ceoPrompt)).manager).toBeNull();
  });

  it('copes with the agent runtime\'s decorated lines (listed reports, nested parentheses)', () => {
    const id = parseIdentity(convo('Name: Dana Cruz\nReports to: Morgan Blake (VP (Platform))\nDirect reports: 2 (Ann Lee, Bo Chu)'));
    expect(id.manager).toEqual({ name: 'Morgan Blake', title: 'VP (Platform)' });
    expect(id.directReports).toBe(2);
  });
});

describe('scriptedReply default behaviour', () => {
  it('answers who it reports to from the identity lines', () => {
    expect(scriptedReply({ messages: convo(vpPrompt, user('Who do you report to?')) }, []).text)
      .toBe('I report to Alex Kim (Chief Executive Officer).');
  });

  it('says the top of the org reports to nobody', () => {
    const text = scriptedReply({ messages: convo(ceoPrompt, user('who do you report to')) }, []).text ?? '';
    expect(text).toMatch(/don't report to anyone/);
    expect(text).toContain('Chief Executive Officer');
  });

  it('introduces itself for "who are you" and "what do you do"', () => {
    expect(scriptedReply({ messages: convo(vpPrompt, user('Hi, who are you?')) }, []).text).toBe("I'm Morgan Blake, VP Engineering.");
    expect(scriptedReply({ messages: convo(vpPrompt, user('What do you do here?')) }, []).text).toBe("I'm Morgan Blake, VP Engineering.");
  });

  it('acknowledges anything else by quoting it, deterministically', () => {
    const req = { messages: convo(vpPrompt, user('The build is green.')) };
    expect(scriptedReply(req, []).text).toBe('Morgan Blake (VP Engineering) here. You said: "The build is green."');
    expect(scriptedReply(req, [])).toEqual(scriptedReply(req, []));
  });

  it('summarises a tool result when no rule covers it', () => {
    const long = 'x'.repeat(300);
    const messages = convo(vpPrompt, user('go'), { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', arguments: {} }] },
      { role: 'tool', toolCallId: 'c1', name: 'lookup', content: long });
    expect(scriptedReply({ messages }, []).text).toBe(`Done: ${'x'.repeat(200)}`);
  });
});

describe('scriptedReply rules', () => {
  const askDirector: ScriptRule[] = [
    {
      id: 'ask', agent: 'morgan.blake', match: 'ask (\\w+) about (.+)',
      toolCalls: [{ name: 'message_colleague', arguments: { to: '{{match.1}}', text: '{{name}} asks: {{match.2}}?', meta: { from: ['{{title}}'] } } }],
    },
    { id: 'relay', agent: 'morgan.blake', when: 'tool', reply: '{{match.1}} says {{match.2}}', match: '^(\\w+): (.*)$' },
  ];

  it('fills templates in tool-call arguments at any depth', () => {
    const reply = scriptedReply({ agentId: 'morgan.blake', messages: convo(vpPrompt, user('Please ASK dana about the roadmap')) }, askDirector);
    expect(reply.rule?.id).toBe('ask');
    expect(reply.text).toBeUndefined();
    expect(reply.toolCalls).toEqual([{
      name: 'message_colleague',
      arguments: { to: 'dana', text: 'Morgan Blake asks: the roadmap?', meta: { from: ['VP Engineering'] } },
    }]);
  });

  it('replies after the tool result with the tool-phase rule', () => {
    const messages = convo(vpPrompt, user('ask dana about the roadmap'),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'message_colleague', arguments: {} }] },
      { role: 'tool', toolCallId: 'c1', name: 'message_colleague', content: 'Dana: ship it in May' });
    expect(scriptedReply({ agentId: 'morgan.blake', messages }, askDirector).text).toBe('Dana says ship it in May');
  });

  it('ignores rules for other agents, but matches by Matrix id or display name', () => {
    const messages = convo(vpPrompt, user('ask dana about the roadmap'));
    expect(scriptedReply({ agentId: 'someone.else', messages: convo('Name: Someone Else', user('ask dana about x')) }, askDirector).rule).toBeUndefined();
    expect(scriptedReply({ agentId: '@morgan.blake:anycompany.corp', messages }, askDirector).rule?.id).toBe('ask');
    expect(scriptedReply({ messages }, [{ agent: 'morgan blake', reply: 'by name' }]).text).toBe('by name');
  });

  it('uses the first matching rule and supports {{input}}, {{manager}} and unknown placeholders', () => {
    const rules: ScriptRule[] = [
      { match: 'nomatch', reply: 'wrong' },
      { match: 'status', reply: '{{input}} / {{manager}} / {{nope}}' },
      { reply: 'fallback' },
    ];
    expect(scriptedReply({ messages: convo(vpPrompt, user('status?')) }, rules).text).toBe('status? / Alex Kim / {{nope}}');
    expect(scriptedReply({ messages: convo(vpPrompt, user('hello')) }, rules).text).toBe('fallback');
  });

  it('does not apply user-phase rules after a tool result (no tool loops by default)', () => {
    const messages = convo(vpPrompt, user('x'), { role: 'tool', toolCallId: 'c', name: 't', content: 'result' });
    expect(scriptedReply({ messages }, [{ toolCalls: [{ name: 't', arguments: {} }] }]).text).toBe('Done: result');
  });
});

describe('ScriptBook', () => {
  it('retires a rule after `times` uses', () => {
    const book = new ScriptBook([{ id: 'once', reply: 'first', times: 1 }, { id: 'always', reply: 'later' }]);
    const req = { messages: convo(vpPrompt, user('hi')) };
    expect(book.reply(req).text).toBe('first');
    expect(book.reply(req).text).toBe('later');
    expect(book.reply(req).text).toBe('later');
  });

  it('replacing rules resets counts; appending keeps earlier rules first', () => {
    const book = new ScriptBook([{ reply: 'a', times: 1 }]);
    const req = { messages: convo(vpPrompt, user('hi')) };
    book.reply(req);
    book.set([{ reply: 'b', times: 1 }]);
    book.add([{ reply: 'c' }]);
    expect([book.reply(req).text, book.reply(req).text]).toEqual(['b', 'c']);
  });

  it('rejects invalid regexes and misspelt keys', () => {
    expect(() => new ScriptBook([{ match: '(' }])).toThrow(/regular expression/);
    expect(() => new ScriptBook([{ respond: 'x' } as unknown as ScriptRule])).toThrow();
  });
});
