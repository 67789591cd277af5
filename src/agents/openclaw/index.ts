export { OpenClawAgentRuntime, type OpenClawRuntimeOptions } from './runtime.ts';
export { AgentCoreEngine } from './agent-core-engine.ts';
export type { AgentLoopEngine, AgentLoopSession, LoopRequest, LoopResult, LoopTool } from './engine.ts';
export { cleanReply, NO_REPLY } from './clean-reply.ts';
