import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Relative imports of a module, type-only ones included: a cycle of types is still a layering knot. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => resolve(dirname(file), m[1]!));
}

function cycleThrough(start: string, graph: Map<string, string[]>): string[] | undefined {
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (f: string): string[] | undefined => {
    if (path.includes(f)) return [...path.slice(path.indexOf(f)), f];
    if (seen.has(f)) return undefined;
    seen.add(f);
    path.push(f);
    for (const next of graph.get(f) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    return undefined;
  };
  return visit(start);
}

describe('cli module layout', () => {
  it('has no import cycle among the ./fleet commands', () => {
    const cli = files(join(src, 'cli'));
    const graph = new Map(cli.map((f) => [f, importsOf(f).filter((i) => i.startsWith(join(src, 'cli')))]));
    for (const f of cli) {
      const cycle = cycleThrough(f, graph);
      expect(cycle?.map((c) => relative(src, c)), `cycle from ${relative(src, f)}`).toBeUndefined();
    }
  });
});
