import { describe, expect, it } from 'vitest';
import { logFormat } from '../../../src/log.ts';

describe('console log format', () => {
  it('is pretty on a terminal and JSON lines anywhere else', () => {
    expect(logFormat(true, {})).toBe('pretty');
    expect(logFormat(false, {})).toBe('json');
  });

  it('is JSON under CI even on a pseudo-terminal, and FLEET_LOG_FORMAT decides when set', () => {
    expect(logFormat(true, { CI: 'true' })).toBe('json');
    expect(logFormat(true, { FLEET_LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat(false, { FLEET_LOG_FORMAT: 'pretty' })).toBe('pretty');
    expect(logFormat(false, { FLEET_LOG_FORMAT: 'fancy' })).toBe('json');
  });
});
