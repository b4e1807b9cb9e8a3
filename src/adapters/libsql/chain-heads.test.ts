import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@libsql/client';
import { createLibsqlClient } from './client.ts';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../kernel/errors.ts';
import type { Session } from '../../kernel/types.ts';
import type { StoredRecord } from '../../ports/storage.ts';
import { MIGRATIONS } from './migrations/bundle.gen.ts';
import { NativeRecordWriter } from './native-writer.ts';
import { openLibsqlStore } from './open-libsql.ts';

// audit_records has no index by session: each row links to its session's previous row and
// audit_heads holds open sessions' heads (migration 0003). These tests pin what the triggers
// refuse, what a reader gets back, and that a database from before 0003 keeps all its chains.

const dir = mkdtempSync(join(tmpdir(), 'kee-chain-heads-'));
let n = 0;
const url = () => `file:${join(dir, `h${n++}.db`)}`;
const session = (i: number): Session => ({
  session_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  block_id: i.toString(16).padStart(32, '0'),
  agent_id: `agent-${i}`,
  status: 'OPEN',
  created_at: '2026-11-30T00:00:00.000Z',
});
const rec = (s: Session, seq: number, type = 'CEDAR_PERMIT'): StoredRecord => ({
  sessionId: s.session_id,
  aleSeq: seq,
  aleType: type,
  canonical: `{"ale_seq":${seq},"s":"${s.agent_id}"}`,
  hash: seq.toString(16).padStart(64, '0'),
});
const block = (s: Session) => ({
  block_id: s.block_id,
  session_id: s.session_id,
  merkle_root: 'ab'.repeat(32),
  block_close_timestamp: '2026-11-30T00:00:01.000Z',
  record_count: 2,
  block_signature: { algorithm: 'Ed25519' as const, key_id: 'cd'.repeat(32), public_key: 'ef'.repeat(32), signature: '01'.repeat(64) },
});
const conflict = (p: Promise<unknown>) => p.then(() => 'stored', (e: unknown) => (isDomainError(e, 'CONFLICT') ? 'CONFLICT' : e));
const count = async (c: Client, table: string) => Number((await c.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

describe('libsql audit chain heads', () => {
  it('refuses an ale_seq that does not follow the head: a gap, a repeat, a first record twice', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(1);
    await store.createSession(s, rec(s, 1, 'SESSION_OPEN'));
    expect(await conflict(store.appendRecords([rec(s, 3)]))).toBe('CONFLICT');
    expect(await conflict(store.appendRecords([rec(s, 1)]))).toBe('CONFLICT');
    expect(await conflict(store.appendRecords([rec(s, 2), rec(s, 2)]))).toBe('CONFLICT');
    // two records of one session in one batch chain onto each other
    await store.appendRecords([rec(s, 2), rec(s, 3)]);
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
    expect(await count(client, 'audit_records')).toBe(3);
    // the same through the worker's native writer
    const writer = NativeRecordWriter.open(u);
    expect(await conflict(Promise.resolve().then(() => writer.append([rec(s, 5)], [])))).toBe('CONFLICT');
    writer.append([rec(s, 4)], []);
    writer.close();
    expect((await store.lastRecord(s.session_id))?.aleSeq).toBe(4);
    client.close();
  });

  it('a refused batch stores nothing, also through the native writer', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const [a, b] = [session(2), session(3)];
    await store.createSession(a, rec(a, 1));
    await store.createSession(b, rec(b, 1));
    const writer = NativeRecordWriter.open(u);
    // 40 good rows (a prepared 32-row chunk and 8 single rows), then one that repeats b's head
    const good = Array.from({ length: 40 }, (_, i) => rec(a, i + 2));
    expect(await conflict(Promise.resolve().then(() => writer.append([...good, rec(b, 1)], [{ sessionId: a.session_id, status: 'CLOSING' }])))).toBe('CONFLICT');
    expect(await count(client, 'audit_records')).toBe(2);
    expect((await store.getSession(a.session_id))?.status).toBe('OPEN');
    expect((await store.lastRecord(a.session_id))?.aleSeq).toBe(1);
    // and the connection is usable afterwards
    writer.append([...good, rec(b, 2)], [{ sessionId: a.session_id, status: 'CLOSING' }]);
    writer.close();
    expect((await store.listRecords(a.session_id)).map((r) => r.aleSeq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(await store.listRecords(a.session_id)).toEqual([rec(a, 1), ...good]);
    expect((await store.getSession(a.session_id))?.status).toBe('CLOSING');
    client.close();
  });

  it('keeps only open sessions in audit_heads; a closed session takes no record, not even a new first one', async () => {
    const client = createLibsqlClient(url());
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(4);
    await store.createSession(s, rec(s, 1));
    await store.appendRecords([rec(s, 2, 'SESSION_COMPLETE')], [{ sessionId: s.session_id, status: 'CLOSING' }]);
    expect(await count(client, 'audit_heads')).toBe(1);
    await store.storeBlock(block(s), { index: 0, blockId: s.block_id, leafHash: '11'.repeat(32) });
    expect(await count(client, 'audit_heads')).toBe(0);
    expect(await conflict(store.appendRecords([rec(s, 3)]))).toBe('CONFLICT');
    expect(await conflict(store.appendRecords([rec(s, 1)]))).toBe('CONFLICT');
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2]);
    expect((await store.lastRecord(s.session_id))?.aleType).toBe('SESSION_COMPLETE');
    client.close();
  });

  it('a reader gives every record left after a deleted row, a cut link or a link cycle, and never loops', async () => {
    const client = createLibsqlClient(url());
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(5);
    await store.createSession(s, rec(s, 1));
    for (let i = 2; i <= 5; i++) await store.appendRecords([rec(s, i)]);
    const seqs = async () => (await store.listRecords(s.session_id)).map((r) => r.aleSeq);
    // a cut link alone: the walk stops at record 4, the scan still finds all five
    await client.execute({ sql: 'UPDATE audit_records SET prev_rowid = NULL WHERE session_id = ? AND ale_seq = 4', args: [s.session_id] });
    expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
    await client.execute({ sql: 'DELETE FROM audit_records WHERE session_id = ? AND ale_seq = 3', args: [s.session_id] });
    expect(await seqs()).toEqual([1, 2, 4, 5]);
    // point record 4 back at record 5 (the head): 5 -> 4 -> 5 …
    await client.execute({ sql: 'UPDATE audit_records SET prev_rowid = (SELECT rowid FROM audit_records WHERE session_id = ?1 AND ale_seq = 5) WHERE session_id = ?1 AND ale_seq = 4', args: [s.session_id] });
    expect(await seqs()).toEqual([1, 2, 4, 5]);
    // an unknown session reads as empty
    expect(await store.listRecords('no-such-session')).toEqual([]);
    client.close();
  });

  it('migrates a database written before 0003: every chain, open or closed, reads back and goes on', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    // the schema as it was: migrations 0000-0002 only, then rows written the old way
    await client.execute('CREATE TABLE `__kee_migrations` (`tag` text PRIMARY KEY NOT NULL, `applied_at` text NOT NULL)');
    for (const m of MIGRATIONS.slice(0, 3)) {
      await client.batch([...m.statements, { sql: 'INSERT INTO __kee_migrations (tag, applied_at) VALUES (?, ?)', args: [m.tag, 'then'] }], 'write');
    }
    const [open, closed] = [session(6), session(7)];
    for (const s of [open, closed]) {
      await client.execute({ sql: 'INSERT INTO sessions (session_id, block_id, agent_id, status, created_at) VALUES (?, ?, ?, ?, ?)', args: [s.session_id, s.block_id, s.agent_id, s === closed ? 'CLOSED' : 'OPEN', s.created_at] });
    }
    // interleaved, and not in ale_seq order within the file
    for (const [s, seq] of [[open, 1], [closed, 1], [closed, 2], [open, 3], [open, 2]] as const) {
      const r = rec(s, seq);
      await client.execute({ sql: 'INSERT INTO audit_records (session_id, ale_seq, ale_type, canonical, hash) VALUES (?, ?, ?, ?, ?)', args: [r.sessionId, r.aleSeq, r.aleType, r.canonical, r.hash] });
    }
    const store = await openLibsqlStore(client, { embedded: true });
    expect(await store.listRecords(open.session_id)).toEqual([rec(open, 1), rec(open, 2), rec(open, 3)]);
    expect(await store.listRecords(closed.session_id)).toEqual([rec(closed, 1), rec(closed, 2)]);
    expect(await store.lastRecord(open.session_id)).toEqual(rec(open, 3));
    expect(await store.lastRecord(closed.session_id)).toEqual(rec(closed, 2));
    expect(await count(client, 'audit_heads')).toBe(1);
    await store.appendRecords([rec(open, 4)]);
    expect(await conflict(store.appendRecords([rec(open, 4)]))).toBe('CONFLICT');
    expect(await conflict(store.appendRecords([rec(closed, 3)]))).toBe('CONFLICT');
    expect((await store.listRecords(open.session_id)).map((r) => r.aleSeq)).toEqual([1, 2, 3, 4]);
    client.close();
  });
});

describe('native record writer', () => {
  it('fails with GAR_UNAVAILABLE while another connection holds the write lock, stores nothing, and works once it is released', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(8);
    await store.createSession(s, rec(s, 1));
    const writer = NativeRecordWriter.open(u, { busyTimeoutMs: 50 });
    const holder = new Database(join(dir, u.slice('file:'.length).split('/').pop() as string));
    holder.exec('BEGIN IMMEDIATE');
    const failed = await Promise.resolve()
      .then(() => writer.append([rec(s, 2)], []))
      .then(() => 'stored', (e: unknown) => e);
    expect(isDomainError(failed, 'GAR_UNAVAILABLE')).toBe(true);
    holder.exec('ROLLBACK');
    holder.close();
    expect((await store.lastRecord(s.session_id))?.aleSeq).toBe(1);
    writer.append([rec(s, 2)], []);
    writer.close();
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2]);
    client.close();
  });

  it('commits a lone record or status change as its own statement: durable when append returns, the connection left outside any transaction', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(9);
    await store.createSession(s, rec(s, 1));
    const writer = NativeRecordWriter.open(u);
    const db = (writer as unknown as { db: Database.Database }).db;
    const other = new Database(join(dir, u.slice('file:'.length).split('/').pop() as string));
    const seqs = () => other.prepare('SELECT ale_seq FROM audit_records WHERE session_id = ? ORDER BY ale_seq').all([s.session_id]).map((r) => (r as { ale_seq: number }).ale_seq);
    writer.append([rec(s, 2)], []);
    expect(db.inTransaction).toBe(false);
    expect(seqs()).toEqual([1, 2]);
    writer.append([], [{ sessionId: s.session_id, status: 'CLOSING' }]);
    expect(db.inTransaction).toBe(false);
    expect((other.prepare('SELECT status FROM sessions WHERE session_id = ?').get([s.session_id]) as { status: string }).status).toBe('CLOSING');
    // a refused lone record (not the head's + 1) stores nothing, and leaves no transaction open
    expect(await conflict(Promise.resolve().then(() => writer.append([rec(s, 4)], [])))).toBe('CONFLICT');
    expect(db.inTransaction).toBe(false);
    expect(seqs()).toEqual([1, 2]);
    // the chain link and head of a lone record are those of a batched one
    writer.append([rec(s, 3)], []);
    expect(await store.listRecords(s.session_id)).toEqual([rec(s, 1), rec(s, 2), rec(s, 3)]);
    expect(await store.lastRecord(s.session_id)).toEqual(rec(s, 3));
    other.close();
    writer.close();
    client.close();
  });

  it('never lets a lone record join a transaction left open on its connection: it fails (GAR_UNAVAILABLE) and nothing of it is committed', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const s = session(10);
    await store.createSession(s, rec(s, 1));
    const writer = NativeRecordWriter.open(u);
    // as after a failed COMMIT whose ROLLBACK failed too
    (writer as unknown as { db: Database.Database }).db.exec('BEGIN');
    const failed = await Promise.resolve()
      .then(() => writer.append([rec(s, 2)], []))
      .then(() => 'stored', (e: unknown) => e);
    expect(isDomainError(failed, 'GAR_UNAVAILABLE')).toBe(true);
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1]);
    writer.close();
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1]);
    client.close();
  });

  it.each([
    ['a batch (its BEGIN IMMEDIATE)', 'batch'],
    ['a lone status change', 'status'],
    ['a lone record', 'record'],
  ] as const)('after %s failed on the write lock, a lone record it then stores is committed when append returns, and stays', async (_name, first) => {
    // SQLITE_BUSY left the failed statement active (the binding never resets it): SQLite then
    // did not commit a lone statement (another write statement active), and the next BEGIN
    // rolled back records already answered as stored
    const u = url();
    const client = createLibsqlClient(u);
    const store = await openLibsqlStore(client, { embedded: true });
    const [s, t] = [session(20), session(21)];
    await store.createSession(s, rec(s, 1));
    await store.createSession(t, rec(t, 1));
    const writer = NativeRecordWriter.open(u, { busyTimeoutMs: 20 });
    const file = join(dir, u.slice('file:'.length).split('/').pop() as string);
    const holder = new Database(file);
    const other = new Database(file);
    const seqs = (x: Session) => other.prepare('SELECT ale_seq FROM audit_records WHERE session_id = ? ORDER BY ale_seq').all([x.session_id]).map((r) => (r as { ale_seq: number }).ale_seq);
    holder.exec('BEGIN IMMEDIATE');
    const failed = await Promise.resolve()
      .then(() => {
        if (first === 'batch') writer.append([rec(s, 2), rec(t, 2)], []);
        else if (first === 'status') writer.append([], [{ sessionId: t.session_id, status: 'CLOSING' }]);
        else writer.append([rec(t, 2)], []);
      })
      .then(() => 'stored', (e: unknown) => e);
    expect(isDomainError(failed, 'GAR_UNAVAILABLE')).toBe(true);
    holder.exec('ROLLBACK');
    // one record alone, then one more: each is in the database (seen by another connection) when append returns
    writer.append([rec(s, 2)], []);
    expect(seqs(s)).toEqual([1, 2]);
    writer.append([rec(s, 3)], []);
    expect(seqs(s)).toEqual([1, 2, 3]);
    // a batch after them chains onto them, and they are still there
    writer.append([rec(s, 4), rec(t, 2)], []);
    expect(seqs(s)).toEqual([1, 2, 3, 4]);
    expect(seqs(t)).toEqual([1, 2]);
    writer.close();
    holder.close();
    other.close();
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2, 3, 4]);
    client.close();
  });

  it('reads sessions on the native connection: every commit of either connection is seen, and no read keeps a snapshot', async () => {
    const u = url();
    const client = createLibsqlClient(u);
    const store = (await openLibsqlStore(client, { embedded: true })).throughNative(NativeRecordWriter.open(u));
    const other = createLibsqlClient(u);
    const s = session(7);
    expect(await store.getSession(s.session_id)).toBeNull();
    await store.createSession(s, rec(s, 1, 'SESSION_OPEN'));
    expect(await store.getSession(s.session_id)).toEqual(s);
    for (const status of ['CLOSING', 'OPEN', 'TAMPERED', 'OPEN'] as const) {
      await other.execute({ sql: 'UPDATE sessions SET status = ? WHERE session_id = ?', args: [status, s.session_id] });
      expect((await store.getSession(s.session_id))?.status).toBe(status);
    }
    // the native connection writes after its reads, and holds nothing that stops a full checkpoint
    await store.appendRecords([rec(s, 2)]);
    expect(await store.getSession(s.session_id)).toEqual(s);
    const ck = await other.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(Number(ck.rows[0]?.[0])).toBe(0); // busy = 0
    expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2]);
    other.close();
    client.close();
  });
});
