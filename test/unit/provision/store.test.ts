import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveAgentDir } from '../../../src/provision/archive.ts';
import { contentHash, ProvisionStore } from '../../../src/provision/store.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'provision-unit-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ProvisionStore', () => {
  it('hashes content regardless of key order', () => {
    expect(contentHash({ a: 1, b: { c: 2, d: 3 } })).toBe(contentHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });

  it('keeps what was done across reopening, and a rehire is active again', () => {
    const path = join(dir, 'provision.sqlite');
    let store = new ProvisionStore(path);
    store.markRegistered('@a:x', true);
    store.markDisplayName('@a:x', 'A A');
    store.recordRoom('all-employees', '!r:x', 'room', [{ type: 'm.room.topic', stateKey: '', content: { topic: 't' } }]);
    store.recordMembership('all-employees', '@a:x', 'join');
    store.markDeactivated('@a:x', 123);
    store.close();

    store = new ProvisionStore(path);
    expect(store.users().get('@a:x')).toMatchObject({ registered: true, displayName: 'A A', deactivatedAt: 123 });
    expect(store.rooms().get('all-employees')?.roomId).toBe('!r:x');
    expect([...store.stateHashes().values()]).toEqual([contentHash({ topic: 't' })]);
    expect(store.memberships().size).toBe(1);
    store.markRegistered('@a:x', false);
    expect(store.users().get('@a:x')).toMatchObject({ deactivatedAt: null, live: false });
    store.reset();
    expect(store.rooms().size + store.users().size + store.memberships().size).toBe(0);
    store.close();
  });
});

describe('archiveAgentDir', () => {
  it('moves a departed agent to a dated archive folder, never over an earlier one', () => {
    const when = new Date('2026-03-04T10:00:00Z');
    for (const n of [1, 2]) {
      mkdirSync(join(dir, 'agents', 'ann.lee'), { recursive: true });
      writeFileSync(join(dir, 'agents', 'ann.lee', 'MEMORY.md'), `v${n}`);
      archiveAgentDir(dir, 'ann.lee', when);
    }
    expect(existsSync(join(dir, 'agents', 'ann.lee'))).toBe(false);
    expect(readFileSync(join(dir, 'archive', 'agents', 'ann.lee-2026-03-04', 'MEMORY.md'), 'utf8')).toBe('v1');
    expect(readFileSync(join(dir, 'archive', 'agents', 'ann.lee-2026-03-04-2', 'MEMORY.md'), 'utf8')).toBe('v2');
    expect(archiveAgentDir(dir, 'never.existed', when)).toBeUndefined();
  });
});
