import { z } from 'zod';
import { domainOf, personLine, resolvePerson } from './resolve-person.ts';
import { ToolInputError, type AgentTool } from './types.ts';

const MAX_MESSAGE_CHARS = 4000;

const argsSchema = z.object({
  to: z.string().min(1),
  text: z.string().min(1),
  room: z.string().optional(),
});

/**
 * Asks or tells another agent something. The colleague is mentioned properly so the router delivers it, and the
 * conversation travels along so their answer can find its way back. Humans are never messaged by agents on their
 * own initiative: they read the rooms themselves.
 */
export const messageColleagueTool: AgentTool = {
  spec: {
    name: 'message_colleague',
    description:
      'Send a chat message to a colleague (another employee) so they see it and can answer. `to`: full name or Matrix ' +
      'id. `text`: the message, written as you would in chat. `room`: "here" (default: the current room) or "direct" ' +
      '(your private chat with them).',
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
    const { to, text, room } = parsed.data;
    const found = resolvePerson(ctx.org, to, domainOf(ctx.agent.matrixId));
    if (found.kind === 'unknown') throw new ToolInputError(`nobody called "${to}" works here; look them up with the people tool`);
    if (found.kind === 'ambiguous') {
      throw new ToolInputError(`"${to}" matches several people; use a Matrix id:\n${found.candidates.slice(0, 10).map(personLine).join('\n')}`);
    }
    const colleague = found.person;
    if (colleague.human) throw new ToolInputError(`${colleague.name} is a human colleague; agents do not message humans through this tool`);
    if (colleague.matrixId === ctx.agent.matrixId) throw new ToolInputError('that is you; message someone else');
    const refusal = ctx.colleagueMessages.take();
    if (refusal) throw new ToolInputError(`message_colleague ${refusal}`);
    const direct = room?.trim().toLowerCase() === 'direct';
    const sent = await ctx.services.messageColleague(ctx.agent.matrixId, colleague.matrixId, text.slice(0, MAX_MESSAGE_CHARS), {
      ...(direct ? {} : { roomId: ctx.roomId }),
      conversation: ctx.conversation,
    });
    return {
      text: `Sent to ${colleague.name} (${colleague.matrixId}) in ${sent.roomId === ctx.roomId ? 'this room' : `room ${sent.roomId}`}. Their answer will arrive as a new message.`,
      summary: `messaged ${colleague.name}`,
    };
  },
};
