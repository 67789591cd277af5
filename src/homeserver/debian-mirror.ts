import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface AptSource { uris: string[]; suites: string[]; signedBy: string }

/** deb822 paragraphs (`*.sources`) of binary (`Types: deb`) sources. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of paragraph.split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = /^([\w-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    out.push({
      uris: (fields.get('uris') ?? '').split(/\s+/).filter(Boolean),
      suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean),
      signedBy: fields.get('signed-by') ?? '',
    });
  }
  return out;
}

/** One-line `deb [options] uri suite components...` entries. */
export function parseSourcesList(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const signedBy = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1] ?? '';
    out.push({ uris: [m[2]!], suites: [m[3]!], signedBy });
  }
  return out;
}

const isSideSuite = (suite: string) => /-(security|updates|backports|proposed-updates)$|\/updates$/.test(suite);

/**
 * The machine's main Debian archive among its apt sources: a /debian archive (or one signed with Debian's archive
 * keyring) serving a release suite, not the security/updates/backports side suites. Third-party repos never match.
 */
export function pickDebianMirror(sources: AptSource[]): string | undefined {
  for (const s of sources) {
    if (!s.suites.some((suite) => !isSideSuite(suite))) continue;
    for (const uri of s.uris) {
      const looksDebian = /\/debian\/?$/.test(uri) || s.signedBy.includes('debian-archive-keyring');
      if (looksDebian && !/security/.test(uri)) return uri.replace(/\/$/, '');
    }
  }
  return undefined;
}

/** FLEET_DEBIAN_MIRROR, else the main Debian archive this machine's apt already uses. */
export function debianMirror(env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): string {
  if (env.FLEET_DEBIAN_MIRROR) return env.FLEET_DEBIAN_MIRROR;
  const sources: AptSource[] = [];
  const dir = join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(readFileSync(join(dir, name), 'utf8')));
      else if (name.endsWith('.list')) sources.push(...parseSourcesList(readFileSync(join(dir, name), 'utf8')));
    }
  }
  const list = join(aptDir, 'sources.list');
  if (existsSync(list)) sources.push(...parseSourcesList(readFileSync(list, 'utf8')));
  const mirror = pickDebianMirror(sources);
  if (!mirror) {
    throw new Error(
      `no Debian mirror found in ${aptDir}/sources.list or ${aptDir}/sources.list.d/*.sources; ` +
        'set FLEET_DEBIAN_MIRROR (e.g. http://deb.debian.org/debian) to build the local Synapse',
    );
  }
  return mirror;
}
