import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIGURES_DIR_ENV, formatFigures, formatTable, readFigures } from '../../../src/cli/commands/long-figures.ts';
import { recordFigures } from '../../helpers/figures.ts';

describe('long suite figures', () => {
  const saved = process.env[FIGURES_DIR_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[FIGURES_DIR_ENV];
    else process.env[FIGURES_DIR_ENV] = saved;
  });

  it('what the tests record is printed together, with lost and doubled summed over the tests that count them', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'figures-')), 'figures');
    process.env[FIGURES_DIR_ENV] = dir;
    recordFigures('fuzz', { summary: '10000 cases, 0 failures' });
    recordFigures('chaos', { summary: '2 phases', rows: [{ phase: 'router SIGKILL', lost: 0 }, { phase: 'homeserver down 30 s', lost: 1 }], lost: 1, doubled: 0 });
    recordFigures('soak', { summary: '600 messages', lost: 0, doubled: 2 });
    const text = formatFigures(readFigures(dir));
    expect(text).toContain('fuzz: 10000 cases, 0 failures');
    expect(text).toMatch(/phase\s+lost\n\s+router SIGKILL\s+0\n\s+homeserver down 30 s\s+1/);
    expect(text).toContain('messages lost 1, doubled 2 (chaos, soak)');
  });

  it('says so when no test wrote figures, and recording without the directory set writes nothing', () => {
    delete process.env[FIGURES_DIR_ENV];
    recordFigures('x', { summary: 'nothing' });
    const dir = mkdtempSync(join(tmpdir(), 'figures-'));
    expect(readFigures(dir)).toEqual([]);
    expect(formatFigures(readFigures(join(dir, 'missing')))).toMatch(/none were written/);
    writeFileSync(join(dir, 'notes.txt'), 'not figures');
    expect(readFigures(dir)).toEqual([]);
  });

  it('tables pad every column to its widest cell', () => {
    expect(formatTable([{ a: 'x', bb: 1 }, { a: 'long', bb: 22 }])).toBe('a     bb\nx     1\nlong  22');
  });
});
