import { AppService } from 'matrix-appservice-bridge';
import type { Request, Response } from 'express';
import type { Inbox } from './inbox.ts';
import type { Logger } from '../log.ts';
import { tokensEqual } from '../protocol/wire.ts';

/**
 * matrix-appservice declares onTransaction private, yet binds its route to `this.onTransaction` at construction,
 * so a subclass's method is what runs. This view of the class lets TypeScript accept that override.
 */
type OverridableAppService = new (config: { homeserverToken: string; httpMaxSizeBytes?: number }) => Omit<AppService, 'onTransaction'> & {
  onTransaction(req: Request, res: Response): void;
};

export interface ListenerOptions {
  homeserverToken: string;
  inbox: Inbox;
  /** Called after a transaction's events are durable, to wake the dispatcher. */
  onAccepted: () => void;
  log: Logger;
  /** Largest transaction body accepted; bigger ones get 413 and the homeserver retries/splits them. */
  maxBodyBytes?: number;
}

/**
 * matrix-appservice's listener acknowledges a transaction before anything handles it and remembers only the last
 * transaction id in memory, so a crash after the 200 loses events and a re-sent older transaction is processed twice.
 * This listener writes the events to the SQLite inbox, together with the transaction id, before answering 200; the
 * dispatcher processes the inbox afterwards. It also answers the homeserver's /ping, which matrix-appservice lacks.
 */
export class DurableAppService extends (AppService as unknown as OverridableAppService) {
  private readonly inbox: Inbox;
  private readonly onAccepted: () => void;
  private readonly log: Logger;
  private readonly hsToken: string;

  constructor(opts: ListenerOptions) {
    super({ homeserverToken: opts.homeserverToken, httpMaxSizeBytes: opts.maxBodyBytes ?? 10_000_000 });
    this.inbox = opts.inbox;
    this.onAccepted = opts.onAccepted;
    this.log = opts.log;
    this.hsToken = opts.homeserverToken;
    this.expressApp.post('/_matrix/app/v1/ping', (req: Request, res: Response) => {
      if (!this.authorised(req, res)) return;
      this.log.info({ transactionId: (req.body as { transaction_id?: unknown })?.transaction_id }, 'homeserver ping received');
      res.send({});
    });
  }

  override onTransaction(req: Request, res: Response): void {
    if (!this.authorised(req, res)) {
      this.log.warn({ ip: req.ip }, 'transaction with a wrong hs_token refused');
      return;
    }
    const txnId = req.params.txnId;
    const events = (req.body as { events?: unknown } | undefined)?.events;
    if (!txnId || !Array.isArray(events)) {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: 'expected {"events": [...]} and a transaction id' });
      return;
    }
    let result;
    try {
      result = this.inbox.accept(txnId, events);
    } catch (err) {
      // Not acknowledged: the homeserver keeps the transaction and sends it again.
      this.log.error({ err, txnId }, 'could not store transaction; homeserver will retry');
      res.status(500).send({ errcode: 'M_UNKNOWN', error: 'storage unavailable' });
      return;
    }
    if (result.duplicateTransaction && result.accepted > 0) {
      this.log.info({ txnId, accepted: result.accepted }, 'known transaction id with new events (the homeserver restarted its numbering)');
    } else if (result.duplicateTransaction) {
      this.log.debug({ txnId }, 'duplicate transaction acknowledged');
    }
    if (result.rejected > 0) this.log.warn({ txnId, rejected: result.rejected }, 'malformed events kept in rejected_events');
    res.send({});
    if (result.accepted > 0) this.onAccepted();
  }

  /** The homeserver proves itself with hs_token (Authorization header, or access_token on older servers). */
  private authorised(req: Request, res: Response): boolean {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : req.query.access_token;
    if (typeof given === 'string' && tokensEqual(given, this.hsToken)) return true;
    res.status(given === undefined ? 401 : 403).send({
      errcode: given === undefined ? 'M_UNAUTHORIZED' : 'M_FORBIDDEN',
      error: 'Bad token supplied',
    });
    return false;
  }

  /** express's error handler would answer a malformed JSON body with an HTML page; keep to Matrix errors. */
  installErrorHandler(): void {
    this.expressApp.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: () => void) => {
      const status = err.status ?? 500;
      const errcode = err.type === 'entity.too.large' ? 'M_TOO_LARGE' : status === 400 ? 'M_NOT_JSON' : 'M_UNKNOWN';
      res.status(status).send({ errcode, error: err.message });
    });
  }
}
