import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../kernel/errors.ts';
import { createLibsqlClient } from './client.ts';
import { NativeRecordWriter } from './native-writer.ts';
import { openLibsqlStore } from './open-libsql.ts';
import { PAGE_CACHE_KIB, SYNCHRONOUS_FULL } from './pragmas.ts';

// Every connection that writes an embedded file runs with WAL, synchronous=FULL, the store's busy
// timeout and its page cache (pragmas.ts). A PRAGMA reaches only the connection that ran it, so
// these tests look at which connection each call gets.

const dir = mkdtempSync(join(tmpdir(), 'kee-libsql-settings-'));
let n = 0;
const url = () => `file:${join(dir, `s${n++}.db`)}`;
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
});
const track = <T extends { close(): void }>(x: T): T => {
  closers.push(() => x.close());
  return x;
};

const session = (i: number) => ({ session_id: `s${i}`, block_id: `b${i}`, agent_id: 'a', status: 'OPEN' as const, created_at: '2026-12-06T00:00:00.000Z' });
const record = (i: number, seq = 1) => ({ sessionId: `s${i}`, aleSeq: seq, aleType: seq === 1 ? 'SESSION_OPEN' : 'CEDAR_PERMIT', canonical: `{"s":${i},"q":${seq}}`, hash: `${i}-${seq}`.padStart(64, '0') });

/** What the connection a client call gets reports, read with one call per setting, all at once. */
async function settingsSeen(client: Client): Promise<{ synchronous: unknown; busy: unknown; cache: unknown; journal: unknown }[]> {
  const read = (sql: string) => client.execute(sql).then((r) => r.rows[0]?.[0]);
  return Promise.all(
    Array.from({ length: 8 }, async () => {
      const [synchronous, busy, cache, journal] = await Promise.all([read('PRAGMA synchronous'), read('PRAGMA busy_timeout'), read('PRAGMA cache_size'), read('PRAGMA journal_mode')]);
      return { synchronous, busy, cache, journal };
    }),
  );
}
const promised = (busy: number) => ({ synchronous: SYNCHRONOUS_FULL, busy, cache: -PAGE_CACHE_KIB, journal: 'wal' });

/** 64 calls at once, each reading a TEMP table that exists only on the connection that made it. */
async function markerReads(client: Client): Promise<unknown[]> {
  return Promise.all(Array.from({ length: 64 }, () => client.execute('SELECT x FROM temp.marker').then((r) => r.rows[0]?.[0], (e: unknown) => (e instanceof Error ? e.message : e))));
}

describe('libSQL connection settings', () => {
  it('an embedded client has one connection: calls made at once all get it, and it has the settings', async () => {
    // what the guard is for: the driver's default pool opens a connection per call in flight,
    // without the TEMP table (and without any PRAGMA) of the first
    const pooled = track(createClient({ url: url() }));
    await pooled.execute('CREATE TEMP TABLE marker (x)');
    await pooled.execute('INSERT INTO temp.marker VALUES (1)');
    expect((await markerReads(pooled)).filter((v) => v !== 1).length).toBeGreaterThan(0);

    const client = track(createLibsqlClient(url(), { busyTimeoutMs: 1234 }));
    await openLibsqlStore(client, { embedded: true, busyTimeoutMs: 1234 });
    await client.execute('CREATE TEMP TABLE marker (x)');
    await client.execute('INSERT INTO temp.marker VALUES (1)');
    expect(await markerReads(client)).toEqual(new Array(64).fill(1));
    for (const s of await settingsSeen(client)) expect(s).toEqual(promised(1234));
  });

  it('the store refuses an embedded client that may open a second connection', async () => {
    const pooled = track(createClient({ url: url() }));
    await expect(openLibsqlStore(pooled, { embedded: true })).rejects.toThrow(/createLibsqlClient, one connection/);
    // the driver's busy timeout on every connection is not enough: the other settings are per connection too
    const timed = track(createClient({ url: url(), timeout: 5000 }));
    await expect(openLibsqlStore(timed, { embedded: true })).rejects.toThrow(/cache_size is -2000/);
  });

  it('driven with many calls at once, the store and the client share the one configured connection', async () => {
    const client = track(createLibsqlClient(url(), { busyTimeoutMs: 250 }));
    const store = await openLibsqlStore(client, { embedded: true, busyTimeoutMs: 250 });
    await client.execute('CREATE TEMP TABLE marker (x)');
    await client.execute('INSERT INTO temp.marker VALUES (1)');
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      calls.push(
        store.createSession(session(i), record(i)).then(async () => {
          await Promise.all([store.appendRecords([record(i, 2), record(i, 3)]), store.putDocument({ kind: `k${i}`, seq: 1, docId: `d${i}`, body: '{}', createdAt: '2026-12-06T00:00:00.000Z' })]);
          await store.setSessionStatus(`s${i}`, 'CLOSING');
        }),
      );
      calls.push(store.getSession(`s${i}`), store.listRecords(`s${i}`), store.blockLogSize(), markerReads(client));
    }
    const results = await Promise.all(calls);
    for (const r of results.filter(Array.isArray)) if (r.length === 64) expect(r).toEqual(new Array(64).fill(1));
    expect((await store.listRecords('s39')).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
    expect((await store.getSession('s39'))?.status).toBe('CLOSING');
    for (const s of await settingsSeen(client)) expect(s).toEqual(promised(250));
  });

  it('after a failure the new connection gets the settings before any call runs on it, or the call fails', async () => {
    const file = url();
    const real = track(createLibsqlClient(file, { busyTimeoutMs: 20 }));
    // a client whose next `failures` attempts to set the page cache fail (a disk error, say)
    let failures = 0;
    const client = new Proxy(real, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (prop === 'execute') {
          return (sql: string, ...rest: unknown[]) => {
            if (typeof sql === 'string' && sql.startsWith('PRAGMA cache_size=') && failures > 0) {
              failures--;
              return Promise.reject(new Error('disk I/O error'));
            }
            return target.execute(sql as never, ...(rest as []));
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const store = await openLibsqlStore(client, { embedded: true, busyTimeoutMs: 20 });
    await store.createSession(session(1), record(1));
    const holder = track(new Database(file));
    const status = () => (holder.prepare('SELECT status FROM sessions WHERE session_id = ?').get(['s1']) as { status: string }).status;

    // the write fails on the lock; the reconnect after it cannot set the page cache
    holder.exec('BEGIN IMMEDIATE');
    failures = 1;
    expect(isDomainError(await store.setSessionStatus('s1', 'CLOSING').catch((e: unknown) => e), 'GAR_UNAVAILABLE')).toBe(true);
    holder.exec('ROLLBACK');
    expect(failures).toBe(0);

    // the next call cannot configure a connection either: it fails, and writes nothing
    failures = 1;
    expect(isDomainError(await store.setSessionStatus('s1', 'CLOSING').catch((e: unknown) => e), 'GAR_UNAVAILABLE')).toBe(true);
    expect(status()).toBe('OPEN');

    // the next one configures the connection first, then writes
    await store.setSessionStatus('s1', 'CLOSING');
    expect(status()).toBe('CLOSING');
    for (const s of await settingsSeen(real)) expect(s).toEqual(promised(20));
  });

  it('the native writer reopens its connection after a failure with the settings', async () => {
    const file = url();
    const client = track(createLibsqlClient(file));
    const store = await openLibsqlStore(client, { embedded: true });
    await store.createSession(session(1), record(1));
    const writer = track(NativeRecordWriter.open(file, { busyTimeoutMs: 20 }));
    const expected = { journalMode: 'wal', synchronous: SYNCHRONOUS_FULL, busyTimeoutMs: 20, cacheSize: -PAGE_CACHE_KIB };
    expect(writer.settings()).toEqual(expected);
    const holder = track(new Database(file));
    holder.exec('BEGIN IMMEDIATE');
    expect(() => writer.append([record(1, 2), record(1, 3)])).toThrow();
    holder.exec('ROLLBACK');
    // the failure dropped the connection: settings() opens the new one
    expect(writer.settings()).toEqual(expected);
    writer.append([record(1, 2), record(1, 3)]);
    expect((await store.listRecords('s1')).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
  });
});
