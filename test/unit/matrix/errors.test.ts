import { describe, expect, it } from 'vitest';
import { describeError, errcodeOf, httpStatusOf, isRetryable } from '../../../src/matrix/errors.ts';

const matrixError = (statusCode: number, errcode: string, error = '') => Object.assign(new Error(''), { statusCode, errcode, error, body: { errcode, error } });

describe('homeserver error classification', () => {
  it('gives up on what will fail the same way again: M_FORBIDDEN (not in the room), other 4xx', () => {
    expect(isRetryable(matrixError(403, 'M_FORBIDDEN', 'User @x not in room'))).toBe(false);
    expect(isRetryable(matrixError(404, 'M_NOT_FOUND'))).toBe(false);
    expect(isRetryable(matrixError(401, 'M_UNKNOWN_TOKEN'))).toBe(false);
    expect(isRetryable({ statusCode: 400, body: { errcode: 'M_BAD_JSON' } })).toBe(false); // a bare bot-sdk response
  });

  it('retries what may work later: 429, 5xx, and failures with no HTTP answer', () => {
    expect(isRetryable(matrixError(429, 'M_LIMIT_EXCEEDED'))).toBe(true);
    expect(isRetryable(matrixError(502, 'M_UNKNOWN'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8008'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(new DOMException('timed out', 'TimeoutError'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('wrapped'), { cause: matrixError(403, 'M_FORBIDDEN') }))).toBe(false);
  });

  it('describes an error briefly, with the homeserver\'s text when the message is empty', () => {
    expect(describeError(matrixError(403, 'M_FORBIDDEN', 'not in room'))).toBe('403 M_FORBIDDEN not in room');
    expect(httpStatusOf({ status: 503 })).toBe(503);
    expect(errcodeOf({ body: { errcode: 'M_FORBIDDEN' } })).toBe('M_FORBIDDEN');
  });
});
