import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchReport, BenchResult, MachineInfo } from './types.ts';

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
  };
}

function packageVersion(file: string): string {
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** The fleet's and OpenClaw's versions from their package.json files (OpenClaw's `exports` hide it from require). */
export function packageVersions(root: string): { fleet: string; openclaw: string } {
  return {
    fleet: packageVersion(join(root, 'package.json')),
    openclaw: packageVersion(join(root, 'node_modules', 'openclaw', 'package.json')),
  };
}

/** Synapse's version as the Debian package in the chroot records it; used when no homeserver was started. */
export function synapsePackageVersion(synapseRoot: string | undefined): string {
  const status = synapseRoot ? join(synapseRoot, 'var/lib/dpkg/status') : '';
  if (!status || !existsSync(status)) return 'unknown';
  const block = readFileSync(status, 'utf8').split('\n\n').find((b) => /^Package: matrix-synapse$/m.test(b));
  return block?.match(/^Version: (.+)$/m)?.[1]?.trim() ?? 'unknown';
}

const formatValue = (r: BenchResult): string => (r.value === null ? 'unavailable' : String(r.value));

/** A fixed-width table for the terminal (and, with `markdown`, for docs/benchmarks.md). */
export function formatTable(results: readonly BenchResult[], opts: { markdown?: boolean } = {}): string {
  const rows = results.map((r) => [r.scenario, r.metric, formatValue(r), r.unit, r.note ?? '']);
  const header = ['scenario', 'metric', 'value', 'unit', 'note'];
  if (opts.markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
