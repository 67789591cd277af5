import { HUMAN_QUOTA_PATH, type HumanQuotaAnswer, type HumanQuotaRequest } from '../human-quota/protocol.ts';

/** Asks the router, which counts for the whole fleet, whether a message to a human may go (router/human-quota-api.ts). */
export class HumanQuotaClient {
  private readonly o: { routerUrl: string; shardId: string; token: string; timeoutMs?: number; fetch?: typeof fetch };

  constructor(opts: HumanQuotaClient['o']) {
    this.o = opts;
  }

  /** The router's answer; throws when there is none (unreachable, timed out, an older router, any error status). */
  async ask(txn: string, human: string): Promise<HumanQuotaAnswer> {
    const body: HumanQuotaRequest = { shardId: this.o.shardId, txn, human };
    const res = await (this.o.fetch ?? fetch)(new URL(HUMAN_QUOTA_PATH, this.o.routerUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 3000),
    });
    const answer = await res.json().catch(() => undefined) as Partial<HumanQuotaAnswer> & { error?: string } | undefined;
    if (res.ok && typeof answer?.allowed === 'boolean') return answer as HumanQuotaAnswer;
    throw new Error(`the router answered ${res.status}${answer?.error ? `: ${answer.error}` : ''}`);
  }
}
