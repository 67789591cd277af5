/** Classifies AWS SDK / Bedrock failures into ProviderErrors so withProviderRetry can decide what to retry. */
import { isRecord } from './openai-wire.ts';
import { retryAfterMsFromHeaders } from './retry.ts';
import { ProviderError, type ProviderErrorKind } from './types.ts';

const KIND_BY_NAME: Readonly<Record<string, ProviderErrorKind>> = {
  ThrottlingException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  TooManyRequestsException: 'throttled',
  ModelTimeoutException: 'timeout',
  TimeoutError: 'timeout',
  RequestTimeout: 'timeout',
  RequestTimeoutException: 'timeout',
  InternalServerException: 'unavailable',
  ServiceUnavailableException: 'unavailable',
  ModelNotReadyException: 'unavailable',
  // The model failed mid-answer (stream broken / model-side processing error); a fresh attempt usually succeeds.
  ModelStreamErrorException: 'unavailable',
  ModelErrorException: 'unavailable',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  ExpiredToken: 'auth',
  ExpiredTokenException: 'auth',
  InvalidSignatureException: 'auth',
  IncompleteSignature: 'auth',
  // The SDK found no credentials at all in the default chain.
  CredentialsProviderError: 'auth',
  ValidationException: 'bad_request',
  ResourceNotFoundException: 'bad_request',
  ConflictException: 'bad_request',
};

export interface ClassifyContext {
  provider: string;
  timeoutMs: number;
  callerSignal: AbortSignal | undefined;
  timeout: AbortSignal;
}

/** Returns a ProviderError, or the caller's own abort reason untouched (cancelling is not a provider failure). */
export function classifyBedrockError(err: unknown, ctx: ClassifyContext): unknown {
  if (err instanceof ProviderError) return err;
  if (ctx.callerSignal?.aborted) return ctx.callerSignal.reason;
  const { provider } = ctx;
  if (ctx.timeout.aborted) {
    return new ProviderError(`${provider} timed out after ${ctx.timeoutMs} ms`, { kind: 'timeout', provider, cause: err });
  }
  const name = isRecord(err) && typeof err.name === 'string' ? err.name : 'Error';
  const detail = (err instanceof Error ? err.message : String(err)).slice(0, 300);
  const status = httpStatus(err);
  const code = networkCode(err);
  const serverFault = isRecord(err) && err.$fault === 'server';
  const kind = KIND_BY_NAME[name] ?? kindFromStatus(status) ?? (code || serverFault ? 'unavailable' : 'unknown');
  const retryAfterMs = retryAfterFrom(err);
  return new ProviderError(`${provider} ${name}${status ? ` (HTTP ${status})` : ''}${code ? ` [${code}]` : ''}: ${detail}`, {
    kind,
    provider,
    cause: err,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function kindFromStatus(status: number | undefined): ProviderErrorKind | undefined {
  if (status === undefined) return undefined;
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 400) return 'bad_request';
  return undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  const fromMetadata = isRecord(err.$metadata) ? err.$metadata.httpStatusCode : undefined;
  if (typeof fromMetadata === 'number') return fromMetadata;
  const fromResponse = isRecord(err.$response) ? err.$response.statusCode : undefined;
  return typeof fromResponse === 'number' ? fromResponse : undefined;
}

function retryAfterFrom(err: unknown): number | undefined {
  if (!isRecord(err) || !isRecord(err.$response) || !isRecord(err.$response.headers)) return undefined;
  const headers = new Headers();
  for (const [key, value] of Object.entries(err.$response.headers)) {
    if (typeof value !== 'string') continue;
    try {
      headers.set(key, value);
    } catch {
      // an unrepresentable header is not worth failing the classification over
    }
  }
  return retryAfterMsFromHeaders(headers);
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+/.test(e.code)) return e.code;
  }
  return undefined;
}
