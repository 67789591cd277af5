import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { componentLogger } from '../../log.ts';
import { isShardId, shardIndex, type ShardDriver } from './driver.ts';

const log = componentLogger('local-shards');

export interface LocalDriverOptions {
  /** The CLI entry (src/cli/main.ts); each shard runs `main.ts shard --id <id> --port <port>`. */
  cliPath: string;
  /** shard-i listens on basePort + i; 0 lets every shard take any free port (tests). */
  basePort: number;
  env: NodeJS.ProcessEnv;
  /** Restart a shard that exits on its own (crash, OOM kill). */
  restart: boolean;
  /** Each shard gets only its own token (FLEET_SHARD_TOKEN), never the fleet secret. */
  tokenFor?: (shardId: string) => string;
  /** How long a stopping shard may drain before it is killed. Default 15 s. */
  stopTimeoutMs?: number;
}

/** Shards as child processes of `./fleet up`, on consecutive ports. */
export class LocalShardDriver implements ShardDriver {
  readonly kind = 'local';
  private readonly opts: LocalDriverOptions;
  private readonly children = new Map<string, ChildProcess>();
  private readonly stopping = new Set<string>();
  /** Shards stop() took out: scale() leaves them stopped until the count changes or restart() brings one back. */
  private readonly held = new Set<string>();
  private wanted: number | undefined;

  constructor(opts: LocalDriverOptions) {
    this.opts = opts;
  }

  async scale(count: number): Promise<void> {
    if (count !== this.wanted) this.held.clear();
    this.wanted = count;
    for (let i = 0; i < count; i++) if (!this.children.has(`shard-${i}`) && !this.held.has(`shard-${i}`)) this.spawn(i);
    const extra = [...this.children.keys()].filter((id) => shardIndex(id) >= count);
    await Promise.all(extra.map((id) => this.terminate(id)));
  }

  async stop(shardId: string): Promise<void> {
    if (!isShardId(shardId)) throw new Error(`not a shard id: ${shardId}`);
    this.held.add(shardId);
    await this.terminate(shardId);
  }

  async restart(shardId: string): Promise<void> {
    if (!isShardId(shardId)) throw new Error(`not a shard id: ${shardId}`);
    this.held.delete(shardId);
    await this.terminate(shardId);
    // The old process has exited, so the new one is the only writer of the shard's store.
    if (!this.children.has(shardId)) this.spawn(shardIndex(shardId));
  }

  async running(): Promise<string[]> {
    return [...this.children.keys()].sort();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.terminate(id)));
  }

  /** The child process of a shard, for tests that kill one. */
  child(id: string): ChildProcess | undefined {
    return this.children.get(id);
  }

  private spawn(index: number): void {
    const id = `shard-${index}`;
    const child = spawn(process.execPath, [...process.execArgv, this.opts.cliPath, 'shard', '--id', id, '--port', String(this.opts.basePort === 0 ? 0 : this.opts.basePort + index)], {
      env: this.childEnv(id),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.set(id, child);
    child.on('exit', (code, signal) => {
      if (this.children.get(id) === child) this.children.delete(id);
      if (this.stopping.delete(id) || !this.opts.restart) return;
      log.warn({ shard: id, code, signal }, 'shard exited unexpectedly; restarting');
      setTimeout(() => { if (!this.children.has(id) && !this.held.has(id)) this.spawn(index); }, 1000).unref();
    });
  }

  private childEnv(id: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.opts.env, FLEET_SHARD_ID: id };
    if (this.opts.tokenFor) {
      env.FLEET_SHARD_TOKEN = this.opts.tokenFor(id);
      delete env.FLEET_SHARD_SECRET;
    }
    return env;
  }

  /** SIGTERM (the shard drains), SIGKILL after stopTimeoutMs; resolves once the process has exited. */
  private async terminate(id: string): Promise<void> {
    const child = this.children.get(id);
    if (!child || child.exitCode !== null) return;
    this.stopping.add(id);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 15_000);
    await exited;
    clearTimeout(timer);
  }
}
