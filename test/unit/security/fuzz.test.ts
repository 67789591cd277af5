import { describe, expect, it } from 'vitest';
import { endpointProperties, mentionProperties } from './fuzz-cases.ts';

// A quick sample at every change; `./fleet test --long` runs 10,000 of each (test/long/fuzz.test.ts).
describe('fuzz (300 cases each)', () => {
  it('mention detection survives garbage and is not fooled by look-alike names and ids', () => {
    mentionProperties(300);
  }, 60_000);

  it('the appservice endpoint answers every garbage transaction with 200 or a clear 4xx and stores nothing twice', async () => {
    const r = await endpointProperties(300);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
  }, 60_000);
});
