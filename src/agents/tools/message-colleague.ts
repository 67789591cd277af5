import { z } from 'zod';
import type { Person } from '../../org/types.ts';
import { domainOf, personLine, resolvePerson } from './resolve-person.ts';
import { ToolInputError, type AgentTool, type ToolContext, type ToolOutcome } from './types.ts';

const MAX_MESSAGE_CHARS = 4000;

const argsSchema = z.object({
  to: z.string().min(1),
  text: z.string().min(1),
  room: z.string().optional(),
});

/**
 * Asks or tells another employee something. An agent colleague is mentioned properly so the router delivers it, and
 * the conversation travels along so their answer can find its way back. A human of the org is told where they can
 * read it: the person this turn answers gets it as that answer (TurnAnswer), anyone else in the room of the
 * conversation when they are in it, else in a direct chat, at most so many a day (the messenger counts).
 */
export const messageColleagueTool: AgentTool = {
  spec: {
    name: 'message_colleague',
    description:
      'Send a chat message to a colleague (another employee, AI or human) so they see it and can answer. `to`: full ' +
      'name or Matrix id. `text`: the message, written as you would in chat. `room`: "here" (default: the current ' +
      'room) or "direct" (your private chat with them). A human who asked you something gets it in the room where ' +
      'they asked.',
    parameters: {
      type: 'object',
      properties: {
        to: { type: 'string', description: 'full name or Matrix id of the colleague' },
        text: { type: 'string', description: 'the message' },
        room: { type: 'string', description: '"here" (default) or "direct"' },
      },
      required: ['to', 'text'],
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = argsSchema.safeParse(rawArgs);
    if (!parsed.success) throw new ToolInputError('message_colleague needs `to` and `text` (non-empty strings)');
    const { to, room } = parsed.data;
    const text = parsed.data.text.slice(0, MAX_MESSAGE_CHARS);
    const found = resolvePerson(ctx.org, to, domainOf(ctx.agent.matrixId));
    if (found.kind === 'unknown') throw new ToolInputError(`nobody called "${to}" works here; look them up with the people tool`);
    if (found.kind === 'ambiguous') {
      throw new ToolInputError(`"${to}" matches several people; use a Matrix id:\n${found.candidates.slice(0, 10).map(personLine).join('\n')}`);
    }
    const colleague = found.person;
    if (colleague.matrixId === ctx.agent.matrixId) throw new ToolInputError('that is you; message someone else');
    const refusal = ctx.colleagueMessages.take();
    if (refusal) throw new ToolInputError(`message_colleague ${refusal}`);
    const direct = room?.trim().toLowerCase() === 'direct';
    if (colleague.human) return messageHuman(ctx, colleague, text, direct);
    const sent = await ctx.services.messageColleague(ctx.agent.matrixId, colleague.matrixId, text, {
      ...(direct ? {} : { roomId: ctx.roomId }),
      conversation: ctx.conversation,
    });
    return {
      text: `Sent to ${colleague.name} (${colleague.matrixId}) in ${sent.roomId === ctx.roomId ? 'this room' : `room ${sent.roomId}`}. Their answer will arrive as a new message.`,
      summary: `messaged ${colleague.name}`,
    };
  },
};

async function messageHuman(ctx: ToolContext, human: Person, text: string, direct: boolean): Promise<ToolOutcome> {
  // The person this turn answers reads it where they asked, once, as the answer: whatever room the model named.
  if (ctx.answer?.to === human.matrixId) {
    ctx.answer.tell(text);
    return {
      text: `Noted: this is your answer to ${human.name}, posted in the room where they asked when you finish. Do not repeat it; end your turn.`,
      summary: `reported to ${human.name}`,
    };
  }
  if (!ctx.services.messageHuman) throw new ToolInputError(`${human.name} cannot be messaged from here; put what they should know in your answer`);
  const turnEventId = ctx.answer?.eventId ?? ctx.conversation.rootEventId;
  const nth = ctx.answer?.nextMessageTo(human.matrixId) ?? 0;
  const sent = await ctx.services.messageHuman(ctx.agent.matrixId, human.matrixId, text, { conversation: ctx.conversation, direct, turnEventId, nth });
  if ('refused' in sent) throw new ToolInputError(`message_colleague refused: ${sent.refused} Put what they should know in your final answer instead.`);
  const where = sent.roomId === ctx.conversation.rootRoomId ? 'the room where this conversation started' : sent.roomId === ctx.roomId ? 'this room' : `room ${sent.roomId}`;
  return { text: `Sent to ${human.name} (${human.matrixId}, human) in ${where}.`, summary: `messaged ${human.name} (human)` };
}
