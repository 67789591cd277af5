import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/**
 * A small network of Linux network namespaces for chaos tests (root only): every namespace gets an uplink, a veth
 * pair to the root namespace on a /30 of its own, so it can reach what the test runs there (through relays bound to
 * the uplink's root-side address: only connected routes exist, no default route and no forwarding, so nothing
 * leaves the machine and one namespace cannot reach another through the root). Links join two namespaces directly
 * with another /30, and `cut` drops every packet on both ends (iptables), the way a partition looks: silence, not
 * refused connections.
 *
 * Addresses: 10.<second>.<n>.0/30, <second> derived from `tag` so two runs with different tags never share a subnet.
 * Namespaces are named `fc<hash>-<name>`; a lab of the same tag left by a crashed run is removed on create.
 */
export interface NetnsLab {
  /** The `ip netns exec` prefix that runs a command inside `name`. */
  exec(name: string): string[];
  /** The uplink of `name`: its address inside the namespace and the root-side address it reaches the test on. */
  uplink(name: string): { inside: string; root: string };
  /** The direct link between two namespaces: each side's address. */
  link(a: string, b: string): { [side: string]: string };
  /** Silently drops every packet of the a↔b link, both ways, until `restore`. */
  cut(a: string, b: string): void;
  restore(a: string, b: string): void;
  /** Deletes every namespace (their veths go with them); safe to call twice. */
  close(): void;
}

export interface NetnsLabOptions {
  tag: string;
  namespaces: readonly string[];
  links: ReadonlyArray<readonly [string, string]>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Why a lab cannot be made here, or undefined when it can (root, `ip netns`, iptables). */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `fcprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    execFileSync('ip', ['netns', 'exec', probe, 'iptables', '-L', '-n'], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `ip netns or iptables inside a namespace is unavailable: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // never made
    }
  }
}

export function createNetnsLab(opts: NetnsLabOptions): NetnsLab {
  const hash = createHash('sha256').update(opts.tag).digest();
  const prefix = `fc${hash.toString('hex').slice(0, 4)}`;
  const second = 200 + (hash[2]! % 50);
  const nsName = (name: string) => `${prefix}-${name}`;
  // veth names are at most 15 characters: prefix (6) + kind + index.
  const subnet = (n: number) => ({ a: `10.${second}.${n}.1`, b: `10.${second}.${n}.2` });
  const uplinks = new Map<string, { inside: string; root: string; dev: string }>();
  const links = new Map<string, { devs: Record<string, string>; addrs: Record<string, string> }>();
  const key = (a: string, b: string) => [a, b].sort().join('|');
  const made: string[] = [];

  const close = () => {
    for (const n of made.splice(0)) {
      try {
        ip('netns', 'del', n);
      } catch {
        // already gone
      }
    }
    for (const { dev } of uplinks.values()) {
      try {
        ip('link', 'del', dev); // the root end; normally gone with its namespace peer
      } catch {
        // already gone
      }
    }
  };
  const leftovers = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
  for (const n of leftovers) ip('netns', 'del', n);

  try {
    opts.namespaces.forEach((name, i) => {
      const ns = nsName(name);
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      const { a: root, b: inside } = subnet(i + 1);
      const dev = `${prefix}u${i}`;
      try {
        ip('link', 'del', dev);
      } catch {
        // no leftover
      }
      ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`);
      ip('link', 'set', `${dev}p`, 'netns', ns);
      ip('addr', 'add', `${root}/30`, 'dev', dev);
      ip('link', 'set', dev, 'up');
      ip('-n', ns, 'addr', 'add', `${inside}/30`, 'dev', `${dev}p`);
      ip('-n', ns, 'link', 'set', `${dev}p`, 'up');
      uplinks.set(name, { inside, root, dev });
    });
    opts.links.forEach(([a, b], i) => {
      const { a: addrA, b: addrB } = subnet(100 + i);
      const devA = `${prefix}l${i}a`;
      const devB = `${prefix}l${i}b`;
      ip('link', 'add', devA, 'netns', nsName(a), 'type', 'veth', 'peer', 'name', devB, 'netns', nsName(b));
      ip('-n', nsName(a), 'addr', 'add', `${addrA}/30`, 'dev', devA);
      ip('-n', nsName(b), 'addr', 'add', `${addrB}/30`, 'dev', devB);
      ip('-n', nsName(a), 'link', 'set', devA, 'up');
      ip('-n', nsName(b), 'link', 'set', devB, 'up');
      links.set(key(a, b), { devs: { [a]: devA, [b]: devB }, addrs: { [a]: addrA, [b]: addrB } });
    });
  } catch (err) {
    close();
    throw err;
  }

  const linkOf = (a: string, b: string) => {
    const l = links.get(key(a, b));
    if (!l) throw new Error(`no link between ${a} and ${b}`);
    return l;
  };
  const filter = (op: '-I' | '-D', a: string, b: string) => {
    for (const [side, dev] of Object.entries(linkOf(a, b).devs)) {
      for (const [chain, flag] of [['INPUT', '-i'], ['OUTPUT', '-o']] as const) {
        execFileSync('ip', ['netns', 'exec', nsName(side), 'iptables', op, chain, flag, dev, '-j', 'DROP'], { stdio: 'ignore' });
      }
    }
  };
  return {
    exec: (name) => ['ip', 'netns', 'exec', nsName(name)],
    uplink: (name) => {
      const u = uplinks.get(name);
      if (!u) throw new Error(`no namespace ${name}`);
      return { inside: u.inside, root: u.root };
    },
    link: (a, b) => ({ ...linkOf(a, b).addrs }),
    cut: (a, b) => filter('-I', a, b),
    restore: (a, b) => filter('-D', a, b),
    close,
  };
}
