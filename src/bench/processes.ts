import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const STOP_GRACE_MS = 15_000;

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The fleet's own processes started by the bench (`src/cli/main.ts router|shard …`), each logging to a file of its
 * own so the bench's output stays readable and a failure can show what the process said.
 */
export class FleetProcesses {
  readonly #cliPath: string;
  readonly #logDir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #children = new Map<string, ChildProcess>();

  constructor(opts: { cliPath: string; logDir: string; env: NodeJS.ProcessEnv }) {
    this.#cliPath = opts.cliPath;
    this.#logDir = opts.logDir;
    this.#env = opts.env;
  }

  start(name: string, args: string[]): ChildProcess {
    if (this.#children.has(name)) throw new Error(`${name} is already running`);
    const out = openSync(this.logFile(name), 'a');
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--disable-warning=DEP0060', this.#cliPath, ...args], {
      env: this.#env,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.#children.set(name, child);
    child.once('exit', () => {
      if (this.#children.get(name) === child) this.#children.delete(name);
    });
    return child;
  }

  running(name: string): boolean {
    return this.#children.has(name);
  }

  pid(name: string): number | undefined {
    return this.#children.get(name)?.pid;
  }

  names(): string[] {
    return [...this.#children.keys()];
  }

  /** SIGTERM (an orderly close), SIGKILL after the grace period. */
  async stop(name: string): Promise<void> {
    const child = this.#children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.names().map((n) => this.stop(n)));
  }

  logFile(name: string): string {
    return join(this.#logDir, `${name}.log`);
  }

  /** The last lines a process wrote, for error messages. */
  logTail(name: string, lines = 15): string {
    const file = this.logFile(name);
    const text = existsSync(file) ? readFileSync(file, 'utf8').trimEnd() : '';
    return text ? `last lines of ${file}:\n${text.split('\n').slice(-lines).join('\n')}` : `${file} is empty`;
  }
}
