import type { Request, Response } from 'express';
import { HumanMessageLedger, utcDay } from '../human-quota/ledger.ts';
import { HUMAN_QUOTA_PATH, humanQuotaRequestSchema, type HumanQuotaAnswer } from '../human-quota/protocol.ts';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { bearerMatches, shardToken } from '../protocol/wire.ts';
import type { Db } from '../store/sqlite.ts';

type Express = { post: (p: string, h: (req: Request, res: Response) => void) => void };

export interface HumanQuotaApiOptions {
  db: Db;
  org: OrgDirectory;
  fleetSecret: string;
  /** agents.maxMessagesToHumanPerDay: for the whole fleet, whichever shards the agents writing run on. */
  perDay: number;
  now?: () => Date;
  log: Logger;
}

/**
 * The fleet-wide daily bound of agents' messages to one human: the router, the fleet's one writer, counts every
 * shard's messages in its store, so n shards do not make n times the limit. The router's clock says which day it is.
 * Counting is not bound to the claim on the agent (a report racing a lost claim is still counted, not refused):
 * the shard's token already proves the caller sends as the fleet's agents.
 */
export function installHumanQuotaApi(app: Express, o: HumanQuotaApiOptions): void {
  const ledger = new HumanMessageLedger(o.db);
  const now = o.now ?? (() => new Date());
  app.post(HUMAN_QUOTA_PATH, (req, res) => {
    const shardId = (req.body as { shardId?: unknown } | undefined)?.shardId;
    if (typeof shardId !== 'string' || !bearerMatches(req.headers.authorization, shardToken(o.fleetSecret, shardId))) {
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'wrong shard token for this shard id' });
      return;
    }
    const parsed = humanQuotaRequestSchema.safeParse(req.body);
    if (!parsed.success || !o.org.isHuman(parsed.data.human)) {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: 'expected {shardId, txn, human: a human of the org}' });
      return;
    }
    const { txn, human } = parsed.data;
    const answer: HumanQuotaAnswer = ledger.take(txn, human, utcDay(now()), o.perDay) ? { allowed: true } : { allowed: false, limit: o.perDay };
    if (!answer.allowed) o.log.info({ shardId, human }, 'message to a human refused: the fleet\'s daily limit is reached');
    res.send(answer);
  });
}
