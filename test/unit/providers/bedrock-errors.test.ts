import {
  ModelNotReadyException, ModelTimeoutException, ResourceNotFoundException, ServiceQuotaExceededException,
  ServiceUnavailableException, ThrottlingException, ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { classifyBedrockError } from '../../../src/providers/bedrock-errors.ts';
import { ProviderError } from '../../../src/providers/types.ts';

const idle = { provider: 'bedrock:us-east-1', timeoutMs: 1000, callerSignal: undefined, timeout: new AbortController().signal };
const $metadata = (httpStatusCode: number) => ({ httpStatusCode });

function classify(err: unknown, ctx = idle): ProviderError {
  const out = classifyBedrockError(err, ctx);
  if (!(out instanceof ProviderError)) throw new Error('expected a ProviderError');
  return out;
}

describe('classifyBedrockError', () => {
  it.each([
    [new ServiceQuotaExceededException({ message: 'q', $metadata: $metadata(400) }), 'throttled', true],
    [new ModelTimeoutException({ message: 't', $metadata: $metadata(408) }), 'timeout', true],
    [new ServiceUnavailableException({ message: 'u', $metadata: $metadata(503) }), 'unavailable', true],
    [new ModelNotReadyException({ message: 'n', $metadata: $metadata(429) }), 'unavailable', true],
    [Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException', $metadata: $metadata(403) }), 'auth', false],
    [Object.assign(new Error('bad key'), { name: 'UnrecognizedClientException', $metadata: $metadata(403) }), 'auth', false],
    [new ValidationException({ message: 'v', $metadata: $metadata(400) }), 'bad_request', false],
    [new ResourceNotFoundException({ message: 'no such model', $metadata: $metadata(404) }), 'bad_request', false],
    // unmodelled errors fall back to the HTTP status, then to the network error code
    [Object.assign(new Error('slow down'), { name: 'SomethingNew', $metadata: $metadata(429) }), 'throttled', true],
    [Object.assign(new Error('gateway'), { name: 'SomethingNew', $metadata: $metadata(502) }), 'unavailable', true],
    [Object.assign(new Error('cancelled'), { cause: Object.assign(new Error('dns'), { code: 'ENOTFOUND' }) }), 'unavailable', true],
    [new Error('weird'), 'unknown', false],
  ])('%s → %s', (err, kind, retryable) => {
    expect(classify(err)).toMatchObject({ kind, retryable, provider: 'bedrock:us-east-1' });
  });

  it('honours a Retry-After header from the raw response', () => {
    const err = new ThrottlingException({ message: 'slow down', $metadata: $metadata(429) });
    err.$response = { statusCode: 429, headers: { 'Retry-After': '7' }, body: undefined };
    expect(classify(err)).toMatchObject({ kind: 'throttled', status: 429, retryAfterMs: 7000 });
    expect(classify(new ThrottlingException({ message: 'x', $metadata: $metadata(429) })).retryAfterMs).toBeUndefined();
  });

  it('reports our own timeout as timeout and a caller abort as the caller\'s reason', () => {
    const timedOut = new AbortController();
    timedOut.abort(new DOMException('t', 'TimeoutError'));
    const sdkAbort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(classify(sdkAbort, { ...idle, timeout: timedOut.signal })).toMatchObject({ kind: 'timeout', retryable: true });

    const caller = new AbortController();
    const reason = new Error('shutdown');
    caller.abort(reason);
    expect(classifyBedrockError(sdkAbort, { ...idle, callerSignal: caller.signal })).toBe(reason);
  });
});
