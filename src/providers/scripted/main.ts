/**
 * Starts the scripted model server: `node src/providers/scripted/main.ts [port] [--rules rules.yaml|json]`.
 * Port also from FLEET_SCRIPTED_PORT (default 0 = any free port); rules also from FLEET_SCRIPTED_RULES.
 * Prints the base URL (ending in /v1) on stdout as its only stdout line, so scripts can capture it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { componentLogger } from '../../log.ts';
import type { ScriptRule } from './brain.ts';
import { startScriptedModelServer } from './server.ts';

const log = componentLogger('scripted-model');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { port: { type: 'string', short: 'p' }, host: { type: 'string' }, rules: { type: 'string' }, 'latency-ms': { type: 'string' } },
  });
  const portText = values.port ?? positionals[0] ?? process.env.FLEET_SCRIPTED_PORT ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${portText}`);
  const rulesFile = values.rules ?? process.env.FLEET_SCRIPTED_RULES;
  // YAML is a superset of JSON, so one parser reads both.
  const parsed: unknown = rulesFile ? parseYaml(await readFile(rulesFile, 'utf8')) : [];
  const rules = (Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown } | null)?.rules ?? []) as ScriptRule[];
  const server = await startScriptedModelServer({
    port,
    ...(values.host ? { host: values.host } : {}),
    rules,
    ...(values['latency-ms'] ? { latencyMs: Number(values['latency-ms']) } : {}),
  });
  process.stdout.write(`${server.url}\n`);
  log.info({ url: server.url, rules: rules.length }, 'scripted model listening');
  const stop = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  log.error({ err }, 'scripted model failed to start');
  process.exitCode = 1;
});
