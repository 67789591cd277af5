/**
 * The seed project's linear congruential generator, kept bit-for-bit (including its IEEE-double arithmetic, which
 * loses low bits for large states) so that seed 42 reproduces the seed project's company.
 */
export function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

/** A uniform pick; the clamp covers the generator's rare exact 1.0. */
export function pick<T>(rng: () => number, items: readonly T[]): T {
  const index = Math.min(items.length - 1, Math.floor(rng() * items.length));
  return items[index]!;
}
