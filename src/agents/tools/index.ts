import { recallTool, readMemoryTool, rememberTool } from './memory-tools.ts';
import { messageColleagueTool } from './message-colleague.ts';
import { peopleTool } from './people.ts';
import { tasksTool } from './tasks.ts';
import type { AgentTool } from './types.ts';

export { peopleTool } from './people.ts';
export { tasksTool } from './tasks.ts';
export { messageColleagueTool } from './message-colleague.ts';
export { rememberTool, recallTool, readMemoryTool } from './memory-tools.ts';
export { resolvePerson, personLine, type PersonLookup } from './resolve-person.ts';
export { ColleagueMessageBudget, DEFAULT_COLLEAGUE_MESSAGE_LIMITS, type ColleagueAllowance, type ColleagueMessageLimits } from './colleague-budget.ts';
export { ToolInputError, capText, type AgentTool, type ToolContext, type ToolOutcome } from './types.ts';

/** The tools every agent has. */
export const FLEET_TOOLS: readonly AgentTool[] = [peopleTool, messageColleagueTool, rememberTool, recallTool, readMemoryTool, tasksTool];
