import { describe, expect, it } from 'vitest';
import { endpointProperties, mentionProperties } from '../unit/security/fuzz-cases.ts';

const CASES = Number(process.env.FLEET_FUZZ_CASES ?? 10_000);

describe(`fuzz (${CASES} cases each)`, () => {
  it('mention detection', () => {
    const started = Date.now();
    mentionProperties(CASES);
    console.log(`fuzz mentions: ${CASES} garbage events + ${CASES} look-alike messages, 0 failures, ${Date.now() - started} ms`);
  });

  it('appservice endpoint', async () => {
    const started = Date.now();
    const r = await endpointProperties(CASES);
    expect(r.accepted + r.refused).toBe(r.cases);
    console.log(`fuzz appservice endpoint: ${r.cases} transactions (${r.accepted} accepted, ${r.refused} refused with a 4xx), `
      + `0 crashes, 0 stored twice, ${Date.now() - started} ms`);
  });
});
