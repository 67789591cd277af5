import { setTimeout as sleep } from 'node:timers/promises';
/**
 * The scripted model behind a real OpenAI-compatible HTTP endpoint, so the fleet exercises exactly the code path it
 * would use against Ollama/vLLM/llama.cpp. Tests in other processes script it through the /_scripted control routes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { componentLogger } from '../../log.ts';
import {
  finishFromStopReason, fromOpenAIMessages, fromOpenAITools, isRecord, toOpenAIToolCall,
} from '../openai-wire.ts';
import type { ChatMessage, ToolCall, ToolSpec, Usage } from '../types.ts';
import { estimateUsage } from '../usage.ts';
import type { ScriptFault, ScriptRule } from './brain.ts';
import { ScriptBook } from './script-book.ts';

const log = componentLogger('scripted-model');
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const STREAM_PIECE_CHARS = 32;

export interface ScriptedModelServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  rules?: ScriptRule[];
  /** Delay before each completion is answered, to simulate model latency. */
  latencyMs?: number;
  /** Oldest recorded requests are dropped beyond this, so long benchmarks do not grow memory. Default 10 000. */
  maxRecorded?: number;
}

export interface RecordedRequest {
  receivedAt: string;
  agentId?: string;
  model: string;
  stream: boolean;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  reply: { text: string; toolCalls: ToolCall[]; ruleId?: string };
  /** The tokens this answer reported (estimated as the fleet's own providers do); absent for an acted-out failure. */
  usage?: Usage;
  /** Set when the rule acted out a provider failure instead of answering. */
  fault?: ScriptFault;
}

export interface ScriptedModelServer {
  /** Base URL ending in /v1, ready for OpenAICompatibleProvider's baseUrl. */
  readonly url: string;
  readonly port: number;
  setRules(rules: ScriptRule[]): void;
  addRules(rules: ScriptRule[]): void;
  requests(): RecordedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startScriptedModelServer(opts: ScriptedModelServerOptions = {}): Promise<ScriptedModelServer> {
  const book = new ScriptBook(opts.rules ?? []);
  const recorded: RecordedRequest[] = [];
  const maxRecorded = opts.maxRecorded ?? 10_000;
  let counter = 0;

  const completion = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req);
    if (!isRecord(body)) throw new HttpError(400, 'body must be a JSON object');
    const messages = fromOpenAIMessages(body.messages);
    if (!messages.length) throw new HttpError(400, 'messages must be a non-empty array');
    const tools = fromOpenAITools(body.tools);
    const header = req.headers['x-fleet-agent-id'];
    const agentId = typeof body.user === 'string' && body.user ? body.user : typeof header === 'string' ? header : undefined;
    const model = typeof body.model === 'string' && body.model ? body.model : 'scripted';
    const stream = body.stream === true;
    const n = ++counter;

    const reply = book.reply({ messages, ...(tools ? { tools } : {}), ...(agentId !== undefined ? { agentId } : {}) });
    const text = reply.text ?? '';
    const toolCalls: ToolCall[] = (reply.toolCalls ?? []).map((c, i) => ({ id: `call_${n}_${i}`, name: c.name, arguments: c.arguments }));
    const usage = estimateUsage(messages, text, toolCalls);
    const finish = finishFromStopReason(toolCalls.length ? 'tool_use' : 'end');

    recorded.push({
      receivedAt: new Date().toISOString(),
      ...(agentId !== undefined ? { agentId } : {}),
      model, stream, messages,
      ...(tools ? { tools } : {}),
      reply: { text, toolCalls, ...(reply.rule?.id !== undefined ? { ruleId: reply.rule.id } : {}) },
      ...(reply.rule?.fault ? { fault: reply.rule.fault } : { usage }),
    });
    if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);
    log.debug({ agentId, n, stream, rule: reply.rule?.id, toolCalls: toolCalls.length }, 'scripted completion');

    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (reply.rule?.fault) return actOut(reply.rule.fault, req, res);
    const openaiUsage = { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
    const base = { id: `chatcmpl-scripted-${n}`, created: Math.floor(Date.now() / 1000), model };

    if (!stream) {
      sendJson(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{
          index: 0,
          message: {
            role: 'assistant',
            content: toolCalls.length && !text ? null : text,
            ...(toolCalls.length ? { tool_calls: toolCalls.map(toOpenAIToolCall) } : {}),
          },
          finish_reason: finish,
        }],
        usage: openaiUsage,
      });
      return;
    }

    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
    };
    const delta = (d: Record<string, unknown>, finishReason: string | null = null): void => chunk([{ index: 0, delta: d, finish_reason: finishReason }]);
    // Split text and arguments across several chunks so clients' delta assembly is really exercised.
    delta({ role: 'assistant', content: '' });
    for (const piece of pieces(text, STREAM_PIECE_CHARS)) delta({ content: piece });
    toolCalls.forEach((c, index) => {
      delta({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      for (const piece of pieces(JSON.stringify(c.arguments), STREAM_PIECE_CHARS)) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
    });
    delta({}, finish);
    if (includeUsage) chunk([], { usage: openaiUsage });
    res.end('data: [DONE]\n\n');
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'POST /v1/chat/completions':
      case 'POST /chat/completions':
        return completion(req, res);
      case 'GET /v1/models':
      case 'GET /models':
        return sendJson(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'open-claw-fleet' }] });
      case 'GET /_scripted/rules':
        return sendJson(res, 200, book.rules());
      case 'POST /_scripted/rules':
        book.set(rulesFrom(await readJson(req)));
        return sendJson(res, 200, { ok: true, rules: book.rules().length });
      case 'POST /_scripted/rules/append':
        book.add(rulesFrom(await readJson(req)));
        return sendJson(res, 200, { ok: true, rules: book.rules().length });
      case 'GET /_scripted/requests': {
        const agent = url.searchParams.get('agent');
        return sendJson(res, 200, agent === null ? recorded : recorded.filter((r) => r.agentId === agent));
      }
      case 'DELETE /_scripted/requests':
        recorded.length = 0;
        return sendJson(res, 200, { ok: true });
      default:
        throw new HttpError(404, `no route for ${route}`);
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof z.ZodError ? 400 : 500;
      const message = err instanceof z.ZodError ? `invalid rules: ${z.prettifyError(err)}` : err instanceof Error ? err.message : String(err);
      if (status === 500) log.error({ err }, 'scripted model server error');
      if (res.headersSent) res.end();
      else sendJson(res, status, { error: { message, type: status === 500 ? 'server_error' : 'invalid_request_error' } });
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    setRules: (rules) => book.set(rules),
    addRules: (rules) => book.add(rules),
    requests: () => [...recorded],
    clearRequests: () => {
      recorded.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A provider failure, as a real one shows it on the wire. */
async function actOut(fault: ScriptFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ('status' in fault) {
    const data = JSON.stringify({ error: { message: `scripted fault ${fault.status}`, type: fault.status === 429 ? 'rate_limit_exceeded' : 'server_error' } });
    res.writeHead(fault.status, {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(data),
      ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
    });
    res.end(data);
    return;
  }
  if ('hangMs' in fault) {
    // Silent until the client gives up (its timeout) or the time is over; then the connection just drops.
    const gone = new AbortController();
    req.socket.once('close', () => gone.abort());
    await sleep(fault.hangMs, undefined, { signal: gone.signal }).catch(() => undefined);
    res.destroy();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(`data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Half an ans' } }] })}\n\n`);
  // truncated: no finish_reason and no [DONE]; garbage: a chunk no JSON parser accepts.
  res.end(fault.malformedStream === 'garbage' ? 'data: {"choices": [{"delta": {"content": oops\n\n' : '');
}

function rulesFrom(body: unknown): ScriptRule[] {
  const rules = isRecord(body) ? body.rules : body;
  if (!Array.isArray(rules)) throw new HttpError(400, 'expected an array of rules or {"rules": [...]}');
  return rules as ScriptRule[];
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}
