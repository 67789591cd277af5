import { DELIVERIES_PATH, type DeliverResponse, type Delivery } from '../protocol/wire.ts';

export class DeliveryError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
    this.retryable = retryable;
  }
}

/** Hands deliveries to one shard; resolves once the shard has persisted them (its 200 means durable). */
export async function deliverToShard(url: string, secret: string, deliveries: Delivery[], timeoutMs = 10_000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL(DELIVERIES_PATH, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ deliveries }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(`shard at ${url} unreachable: ${(err as Error).message}`, true);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new DeliveryError(`shard at ${url} answered ${res.status}: ${text.slice(0, 200)}`, res.status >= 500 || res.status === 429);
  }
  const body = (await res.json()) as DeliverResponse;
  const missing = deliveries.filter((d) => !body.accepted?.includes(d.id));
  if (missing.length > 0) throw new DeliveryError(`shard at ${url} did not accept ${missing.length} deliveries`, true);
}
