import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupError } from './startup-error.ts';
import { acquireStoreLock, lockPaths } from './store-lock.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'kee-lock-'));

describe('store lock', () => {
  it('names its files after the database file', () => {
    expect(lockPaths('/d/kee.db')).toEqual({ lock: '/d/kee.lock', pid: '/d/kee.pid' });
    expect(lockPaths('/d/audit.sqlite')).toEqual({ lock: '/d/audit.lock', pid: '/d/audit.pid' });
    expect(lockPaths('/d/store')).toEqual({ lock: '/d/store.lock', pid: '/d/store.pid' });
  });

  it('one holder at a time; the holder is named; released on request', async () => {
    const db = join(dir(), 'kee.db');
    const first = await acquireStoreLock(db, 'node');
    expect(first.tookOverFrom).toBeNull();
    expect(JSON.parse(readFileSync(lockPaths(db).pid, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), runtime: 'node' });
    const second = acquireStoreLock(db, 'bun');
    await expect(second).rejects.toBeInstanceOf(StartupError);
    await expect(second).rejects.toThrow(new RegExp(`^the database \`${db}\` is in use by another kernel \\(pid ${process.pid} on ${hostname()}, node, started `));
    await first.release();
    await first.release(); // idempotent
    expect(existsSync(lockPaths(db).pid)).toBe(false);
    const again = await acquireStoreLock(db, 'deno');
    expect(again.tookOverFrom).toBeNull();
    await again.release();
  });

  it('takes over from a holder that left its pid file behind, and says whose', async () => {
    const db = join(dir(), 'kee.db');
    const stale = { pid: 999_999, host: 'old-host', runtime: 'bun', started_at: '2026-01-01T00:00:00.000Z' };
    writeFileSync(lockPaths(db).pid, JSON.stringify(stale));
    const lock = await acquireStoreLock(db, 'node');
    expect(lock.tookOverFrom).toEqual(stale);
    expect(JSON.parse(readFileSync(lockPaths(db).pid, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});
