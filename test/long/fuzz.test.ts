import { describe, expect, it } from 'vitest';
import { endpointProperties, mentionProperties } from '../unit/security/fuzz-cases.ts';
import { recordFigures } from '../helpers/figures.ts';

const CASES = Number(process.env.FLEET_FUZZ_CASES ?? 10_000);

describe(`fuzz (${CASES} cases each)`, () => {
  it('mention detection', () => {
    const started = Date.now();
    mentionProperties(CASES);
    const ms = Date.now() - started;
    console.log(`fuzz mentions: ${CASES} garbage events + ${CASES} look-alike messages, 0 failures, ${ms} ms`);
    recordFigures('fuzz-mentions', { summary: `${CASES} garbage events + ${CASES} look-alike messages, 0 failures, ${ms} ms`, cases: 2 * CASES, failures: 0 });
  });

  it('appservice endpoint', async () => {
    const started = Date.now();
    const r = await endpointProperties(CASES);
    expect(r.accepted + r.refused).toBe(r.cases);
    const ms = Date.now() - started;
    const summary = `${r.cases} transactions (${r.accepted} accepted, ${r.refused} refused with a 4xx), 0 crashes, 0 stored twice, ${ms} ms`;
    console.log(`fuzz appservice endpoint: ${summary}`);
    recordFigures('fuzz-endpoint', { summary, cases: r.cases, accepted: r.accepted, refused: r.refused, failures: 0 });
  });
});
