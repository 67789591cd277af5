import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWebApp } from '../../../src/web/build.ts';
import { applyHydrogenEdits, HYDROGEN_EDITS } from '../../../src/web/hydrogen-patches.ts';
import { startWebServer } from '../../../src/web/server.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { StubFleetView } from '../dashboard/stub-view.ts';

const require = createRequire(import.meta.url);
const sdkEsm = () => readFileSync(require.resolve('hydrogen-view-sdk').replace(/hydrogen\.cjs\.js$/, 'hydrogen.es.js'), 'utf8');

describe('the web chat build', () => {
  const cache = mkdtempSync(join(tmpdir(), 'fleet-web-test-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('Hydrogen creates rooms and DMs unencrypted: every edit applies exactly once to the pinned SDK', () => {
    const source = sdkEsm();
    for (const edit of HYDROGEN_EDITS) expect(source.split(edit.from)).toHaveLength(2);
    const edited = applyHydrogenEdits(source);
    expect(edited).toContain('this._isEncrypted = false;');
    expect(edited).not.toContain(HYDROGEN_EDITS[0]!.from);
    // An SDK whose code moved fails loudly instead of quietly encrypting again.
    expect(() => applyHydrogenEdits(source.replace(HYDROGEN_EDITS[1]!.from, ''))).toThrow(/matches 0 times/);
  });

  it('builds once in well under a second, then reuses the build for the same inputs', async () => {
    const first = await buildWebApp(cache);
    expect(first.built).toBe(true);
    expect(first.ms).toBeLessThan(3000);
    const html = readFileSync(join(first.dir, 'index.html'), 'utf8');
    expect(html).toContain('<title>Open-Claw-Fleet-Command-Center</title>');
    expect(html).toContain('theme-element-dark.css');
    for (const f of ['app.js', 'sw.js', 'olm/olm.wasm', 'assets/theme-element-dark.css', 'brand.css', 'logo.svg']) {
      expect(() => readFileSync(join(first.dir, f)), f).not.toThrow();
    }
    const second = await buildWebApp(cache);
    expect(second).toMatchObject({ built: false, dir: first.dir });
    expect(second.ms).toBeLessThan(100);
  });

  it('serves the app with a config.json pointing at the fleet homeserver, and the dashboard beside it', async () => {
    const { dir } = await buildWebApp(cache);
    const org = loadOrg({ domain: 'anycompany.corp', ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
    const server = await startWebServer({
      host: '127.0.0.1', port: 0, appDir: dir, homeserverUrl: 'http://127.0.0.1:8008', serverName: 'anycompany.corp',
      dashboard: { org, view: new StubFleetView(org), admins: [], homeserverUrl: 'http://127.0.0.1:1', sessionTtlMs: 60_000 },
    });
    try {
      const config = await (await fetch(`${server.url}/config.json`)).json();
      expect(config).toEqual({ defaultHomeServer: 'http://127.0.0.1:8008', fleet: { serverName: 'anycompany.corp' } });
      const index = await fetch(`${server.url}/`);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('Open-Claw-Fleet-Command-Center');
      expect((await fetch(`${server.url}/app.js`)).headers.get('content-type')).toContain('javascript');
      expect((await fetch(`${server.url}/dashboard/api/agents`)).status).toBe(401);
      expect((await fetch(`${server.url}/dashboard/login`)).status).toBe(200);
      expect((await fetch(`${server.url}/dashboard`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard/');
      // The overview (where a login lands) sits behind the session like every page.
      expect((await fetch(`${server.url}/dashboard/`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2F');
      expect((await fetch(`${server.url}/dashboard/static/dashboard.css`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
