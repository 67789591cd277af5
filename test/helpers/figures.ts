import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES_DIR_ENV, formatTable, type LongFigures } from '../../src/cli/commands/long-figures.ts';

export { formatTable };

/** Hands a long test's figures to `./fleet test --long` (src/cli/commands/long-figures.ts); a no-op when run alone. */
export function recordFigures(name: string, figures: LongFigures): void {
  const dir = process.env[FIGURES_DIR_ENV];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}
