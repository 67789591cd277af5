import { HumanMessageLedger, utcDay } from '../human-quota/ledger.ts';
import { quotaRefusal, type HumanQuotaAnswer } from '../human-quota/protocol.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/sqlite.ts';

/** After the router failed to answer, messages are counted here alone this long before the router is asked again. */
const ROUTER_RETRY_MS = 30_000;

/** The router's fleet-wide count (shard/human-quota-client.ts). */
export interface FleetHumanQuota {
  ask(txn: string, human: string): Promise<HumanQuotaAnswer>;
}

/**
 * How many messages agents may send one human per calendar day (UTC), so no human is flooded however many agents
 * report to them. The router counts for the whole fleet, by message (its transaction id): a retried or re-run turn
 * sending the same message again neither counts twice nor is refused. This shard keeps its own count too, of every
 * message it sent: a message it already sent goes again without asking, and while the router cannot answer the
 * shard's count decides alone, so reports are not lost in a router outage (the bound is then per shard, as it was).
 */
export class HumanMessageQuota {
  readonly #perDay: number;
  readonly #now: () => Date;
  readonly #ledger: HumanMessageLedger;
  readonly #fleet: { quota: FleetHumanQuota; log: Logger } | undefined;
  #routerDownUntil = 0;

  constructor(db: Db, perDay: number, now: () => Date = () => new Date(), fleet?: { quota: FleetHumanQuota; log: Logger }) {
    this.#perDay = perDay;
    this.#now = now;
    this.#ledger = new HumanMessageLedger(db);
    this.#fleet = fleet;
  }

  /** Takes one of today's messages to `human` for the message `txn`; undefined when allowed, else why not. */
  async take(txn: string, human: string): Promise<string | undefined> {
    const day = utcDay(this.#now());
    if (this.#ledger.has(txn)) return undefined;
    const answer = await this.#askRouter(txn, human);
    if (answer?.allowed) this.#ledger.record(txn, human, day);
    else if (answer) return quotaRefusal(answer.limit);
    else if (!this.#ledger.take(txn, human, day, this.#perDay)) return quotaRefusal(this.#perDay);
    return undefined;
  }

  /** The router's answer, or undefined when there is no router or it cannot answer now. */
  async #askRouter(txn: string, human: string): Promise<HumanQuotaAnswer | undefined> {
    if (!this.#fleet || Date.now() < this.#routerDownUntil) return undefined;
    try {
      return await this.#fleet.quota.ask(txn, human);
    } catch (err) {
      this.#routerDownUntil = Date.now() + ROUTER_RETRY_MS;
      this.#fleet.log.warn({ err: (err as Error).message }, 'the router cannot count messages to humans now: this shard counts them alone');
      return undefined;
    }
  }
}
