import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What each long test measured (fuzz cases, chaos phases, RSS slopes, messages lost and doubled), written by the
 * test as `<FLEET_LONG_FIGURES_DIR>/<name>.json` (test/helpers/figures.ts) and printed together by
 * `./fleet test --long` once vitest is done: vitest hides a passing test's console lines among its workers' output.
 */
export interface LongFigures {
  /** The closing line for this test, e.g. "10000 cases, 0 failures". */
  summary: string;
  /** A table (one row per phase, per process…) when the test has several parts. */
  rows?: Array<Record<string, string | number>>;
  [key: string]: unknown;
}

export const FIGURES_DIR_ENV = 'FLEET_LONG_FIGURES_DIR';

export function readFigures(dir: string): Array<{ name: string; figures: LongFigures }> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return files.map((f) => ({ name: f.replace(/\.json$/, ''), figures: JSON.parse(readFileSync(join(dir, f), 'utf8')) as LongFigures }));
}

/** A plain fixed-width table, its header the first row's keys. */
export function formatTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k] ?? '')))];
  const widths = keys.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The block `./fleet test --long` prints at the end. */
export function formatFigures(all: ReturnType<typeof readFigures>): string {
  if (all.length === 0) return 'long suite figures: none were written (did the long tests run?)';
  const out = ['long suite figures:'];
  for (const { name, figures } of all) {
    out.push(`  ${name}: ${figures.summary}`);
    if (figures.rows?.length) out.push(...formatTable(figures.rows).split('\n').map((l) => `    ${l}`));
  }
  // The figure that matters most, summed over every test that sent messages.
  const counted = all.filter(({ figures }) => typeof figures.lost === 'number' && typeof figures.doubled === 'number');
  if (counted.length) {
    const sum = (k: 'lost' | 'doubled') => counted.reduce((s, { figures }) => s + (figures[k] as number), 0);
    out.push(`  messages lost ${sum('lost')}, doubled ${sum('doubled')} (${counted.map((c) => c.name).join(', ')})`);
  }
  return out.join('\n');
}
