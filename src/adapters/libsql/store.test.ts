import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from './client.ts';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { agentRegistryRoundTrip } from '../../../test/support/agent-registry-scenario.ts';
import { isDomainError } from '../../kernel/errors.ts';
import { openLibsqlStore } from './open-libsql.ts';
import { PAGE_CACHE_KIB } from './pragmas.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-libsql-'));
let n = 0;
const open = (file = `t${n++}.db`) => openLibsqlStore(createLibsqlClient(`file:${join(dir, file)}`), { embedded: true });

runStorageContract('libsql (embedded file, WAL)', () => open());

describe('libsql store', () => {
  it('keeps the agent registry: CRUD, journal records, replayed by the next kernel', async () => {
    await agentRegistryRoundTrip(await open());
  }, 60_000);

  it('runs in WAL mode and applies migrations once', async () => {
    const client = createLibsqlClient(`file:${join(dir, 'wal.db')}`);
    await openLibsqlStore(client, { embedded: true });
    await openLibsqlStore(client, { embedded: true });
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.journal_mode).toBe('wal');
    expect((await client.execute('PRAGMA synchronous')).rows[0]?.synchronous).toBe(2); // FULL
    expect((await client.execute('PRAGMA cache_size')).rows[0]?.cache_size).toBe(-PAGE_CACHE_KIB);
    const tags = (await client.execute('SELECT tag FROM __kee_migrations ORDER BY tag')).rows.map((r) => r.tag);
    expect(tags).toEqual(['0000_init', '0001_block_log', '0002_documents', '0003_audit_chain_heads', '0004_block_signers', '0005_replay_ids']);
  });

  it.each([
    ['a batch (its BEGIN IMMEDIATE)', 'batch'],
    ['a lone status change', 'status'],
  ] as const)('after %s failed on the write lock, a lone write it then makes is committed when it returns, and stays', async (_name, first) => {
    // SQLITE_BUSY left the failed statement active (the binding never resets it): SQLite then
    // did not commit a lone statement of that connection, and rolled it back later
    const file = join(dir, `busy-${first}.db`);
    const client = createLibsqlClient(`file:${file}`);
    const store = await openLibsqlStore(client, { embedded: true, busyTimeoutMs: 20 });
    const session = (i: number) => ({ session_id: `s${i}`, block_id: `b${i}`, agent_id: 'a', status: 'OPEN' as const, created_at: '2026-12-06T00:00:00.000Z' });
    const first1 = (i: number) => ({ sessionId: `s${i}`, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: `{"s":${i}}`, hash: String(i).padStart(64, '0') });
    await store.createSession(session(1), first1(1));
    const holder = new Database(file);
    const other = new Database(file);
    const status = () => (other.prepare('SELECT status FROM sessions WHERE session_id = ?').get(['s1']) as { status: string }).status;
    holder.exec('BEGIN IMMEDIATE');
    const failed = await (first === 'batch' ? store.createSession(session(2), first1(2)) : store.setSessionStatus('s1', 'TAMPERED')).catch((e: unknown) => e);
    expect(isDomainError(failed, 'GAR_UNAVAILABLE')).toBe(true);
    holder.exec('ROLLBACK');
    await store.setSessionStatus('s1', 'CLOSING');
    expect(status()).toBe('CLOSING');
    await store.createSession(session(3), first1(3));
    expect(status()).toBe('CLOSING');
    expect((await store.getSession('s3'))?.status).toBe('OPEN');
    holder.close();
    other.close();
    client.close();
  });

  it('reports an unusable database as GAR_UNAVAILABLE', async () => {
    const client = createLibsqlClient(`file:${join(dir, 'closed.db')}`);
    const store = await openLibsqlStore(client, { embedded: true });
    client.close();
    const err = await store.getSession('x').catch((e: unknown) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
  });
});
