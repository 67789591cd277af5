import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';

/** Debian's Chromium: puppeteer's own browser download cannot reach its host from here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that work in this sandbox (no GPU, no network beyond loopback, root). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

/** Installs Debian's chromium with apt when it is missing (CI machines start without it). */
export function ensureChromium(log: (line: string) => void = console.log): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  log('installing Debian\'s chromium with apt-get (first run only)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status}); install chromium by hand`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile (its own IndexedDB, so every launch logs in from scratch). */
export async function launchChromium(opts: { width?: number; height?: number } = {}): Promise<LaunchedBrowser> {
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'fleet-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: ensureChromium(),
    // The flags above carry --headless; puppeteer must not add its own variant of it.
    headless: false,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `--window-size=${opts.width ?? 1400},${opts.height ?? 900}`],
    defaultViewport: { width: opts.width ?? 1400, height: opts.height ?? 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
