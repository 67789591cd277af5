import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { componentLogger } from '../log.ts';
import { hydrogenPatches } from './hydrogen-patches.ts';

const log = componentLogger('web');
const require = createRequire(import.meta.url);

/** The browser app's own sources: entry module, page, branding. */
export const APP_SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'app');

/** A dependency's folder, found the way Node finds it (Hydrogen's `exports` hide its package.json from resolve). */
function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    if (existsSync(join(base, name, 'package.json'))) return join(base, name);
  }
  throw new Error(`${name} is not installed (npm ci)`);
}

export interface BuiltWebApp {
  /** Directory to serve as the web root. */
  dir: string;
  hash: string;
  /** False when the build for this hash already existed. */
  built: boolean;
  ms: number;
}

/**
 * Everything the output depends on: our sources, the exact versions of Hydrogen, Olm and esbuild, and the patches.
 * Same inputs, same directory: a second `up` serves the previous build without running esbuild.
 */
export function webAppHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(APP_SOURCE_DIR).sort()) hash.update(name).update(readFileSync(join(APP_SOURCE_DIR, name)));
  for (const pkg of ['hydrogen-view-sdk', '@matrix-org/olm', 'esbuild']) hash.update(readFileSync(join(packageDir(pkg), 'package.json')));
  hash.update(readFileSync(fileURLToPath(import.meta.url))).update(readFileSync(fileURLToPath(new URL('./hydrogen-patches.ts', import.meta.url))));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the branded Hydrogen web chat into `<cacheDir>/<hash>/` once: esbuild bundles the entry module with
 * Hydrogen, and the SDK's theme assets, Olm and the service worker are copied beside it. The homeserver is not part
 * of the build: config.json is served live, so one build fits every fleet.
 */
export async function buildWebApp(cacheDir: string): Promise<BuiltWebApp> {
  const started = performance.now();
  const hash = webAppHash();
  const dir = join(cacheDir, hash);
  if (existsSync(join(dir, 'index.html'))) return { dir, hash, built: false, ms: performance.now() - started };

  // Built next to its final place and renamed, so a crash mid-build never leaves a directory that looks finished.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await build({
    entryPoints: [join(APP_SOURCE_DIR, 'main.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    outfile: join(tmp, 'app.js'),
    plugins: [hydrogenPatches],
    logLevel: 'silent',
  });
  const hydrogen = packageDir('hydrogen-view-sdk');
  const olm = packageDir('@matrix-org/olm');
  cpSync(join(hydrogen, 'asset-build/assets'), join(tmp, 'assets'), { recursive: true });
  cpSync(join(hydrogen, 'lib-build/sw.js'), join(tmp, 'sw.js'));
  mkdirSync(join(tmp, 'olm'));
  for (const f of ['olm.js', 'olm.wasm', 'olm_legacy.js']) cpSync(join(olm, f), join(tmp, 'olm', f));
  for (const name of readdirSync(APP_SOURCE_DIR)) {
    if (name !== 'main.js') cpSync(join(APP_SOURCE_DIR, name), join(tmp, name));
  }
  writeFileSync(join(tmp, 'build.json'), JSON.stringify({ hash, builtAt: new Date().toISOString() }));
  try {
    renameSync(tmp, dir);
  } catch (err) {
    // Another process finished the same build first: theirs is identical.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.html'))) throw err;
  }
  pruneOldBuilds(cacheDir, hash);
  const ms = performance.now() - started;
  log.info({ hash, ms: Math.round(ms) }, 'built the web chat');
  return { dir, hash, built: true, ms };
}

/** Keeps the cache to the current build: each is ~5 MB and only one is ever served. */
function pruneOldBuilds(cacheDir: string, keep: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (name !== keep && /^[0-9a-f]{16}$/.test(name)) rmSync(join(cacheDir, name), { recursive: true, force: true });
  }
}
