import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { agentRegistryRoundTrip } from '../../../test/support/agent-registry-scenario.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { usePostgres } from '../../../test/support/postgres.ts';
import { isDomainError } from '../../kernel/errors.ts';
import type { StoredRecord } from '../../ports/storage.ts';
import { MIGRATIONS } from './migrations/bundle.gen.ts';
import { openPostgresStore } from './open-postgres.ts';

// A missing server fails every test with the reason (e.g. "install the Debian `postgresql`
// package"): these tests are never skipped.
const { database, open } = usePostgres();

runStorageContract('postgres', async () => (await open(await database())).store);

describe('postgres store', () => {
  it('keeps the agent registry: CRUD, journal records, replayed by the next kernel', async () => {
    await agentRegistryRoundTrip((await open(await database())).store);
  }, 60_000);

  it('applies migrations once, also when two kernels start together', async () => {
    const url = await database();
    const [a] = await Promise.all([open(url), open(url), open(url)]);
    await open(url);
    const { rows } = await a.pool.query<{ tag: string }>('SELECT tag FROM __kee_migrations ORDER BY tag');
    expect(rows.map((r) => r.tag)).toEqual(MIGRATIONS.map((m) => m.tag));
  });

  it('keeps synchronous_commit on even if the database default is off', async () => {
    const url = await database();
    const { pool } = await open(url);
    await pool.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET synchronous_commit = off`);
    const { pool: fresh } = await open(url);
    expect((await fresh.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit).toBe('on');
  });

  it('reports an unreachable server as GAR_UNAVAILABLE, keeping the cause', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 1));
      });
    });
    const err = await openPostgresStore(`postgresql://postgres@127.0.0.1:${port}/kee`, { connectionTimeoutMillis: 2_000 }).catch((e: unknown) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(String((err as Error).cause)).toMatch(/ECONNREFUSED|connect/i);
  });

  it('reports a closed pool as GAR_UNAVAILABLE', async () => {
    const s = await open(await database());
    await s.close();
    await s.close(); // idempotent
    const err = await s.store.getSession('x').catch((e: unknown) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
    const write = await s.store.appendRecords([{ sessionId: 'x', aleSeq: 1, aleType: 'T', canonical: '{}', hash: '00' }]).catch((e: unknown) => e);
    expect(isDomainError(write, 'GAR_UNAVAILABLE')).toBe(true);
  });

  it('rolls a batch of several INSERT statements back whole, status changes included', async () => {
    const { store } = await open(await database());
    const sessionId = '00000000-0000-4000-8000-0000000000cc';
    await store.createSession(
      { session_id: sessionId, block_id: 'cc'.repeat(16), agent_id: 'agent', status: 'OPEN', created_at: '2026-11-22T00:00:00.000Z' },
      { sessionId, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{"ale_seq":1}', hash: '0'.repeat(64) },
    );
    const rec = (seq: number): StoredRecord => ({ sessionId, aleSeq: seq, aleType: 'CEDAR_PERMIT', canonical: `{"ale_seq":${seq}}`, hash: '1'.repeat(64) });
    // 2500 fresh records (three statements), then a duplicate of the first record in a fourth
    const batch = [...Array.from({ length: 2_500 }, (_, i) => rec(i + 2)), rec(1)];
    const err = await store.appendRecords(batch, [{ sessionId, status: 'CLOSING' }]).catch((e: unknown) => e);
    expect(isDomainError(err, 'CONFLICT')).toBe(true);
    expect(await store.listRecords(sessionId)).toHaveLength(1);
    expect((await store.getSession(sessionId))?.status).toBe('OPEN');
  });

  it('never interleaves half of a batch: racing batches from two store instances, one wins whole', async () => {
    const url = await database();
    const a = await open(url);
    const b = await open(url);
    const sessionId = '00000000-0000-4000-8000-0000000000aa';
    await a.store.createSession(
      { session_id: sessionId, block_id: 'aa'.repeat(16), agent_id: 'racer', status: 'OPEN', created_at: '2026-11-22T00:00:00.000Z' },
      { sessionId, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{"ale_seq":1}', hash: '0'.repeat(64) },
    );
    const BATCH = 2_500; // three INSERT statements a batch
    const batch = (writer: string, from: number): StoredRecord[] =>
      Array.from({ length: BATCH }, (_, i) => ({
        sessionId,
        aleSeq: from + i,
        aleType: 'CEDAR_PERMIT',
        canonical: `{"ale_seq":${from + i},"writer":"${writer}"}`,
        hash: (from + i).toString(16).padStart(64, '0'),
      }));

    // a third connection watches the row count while the writers race: it only ever sees whole batches
    const seen = new Set<number>();
    let racing = true;
    const watcher = (async () => {
      while (racing) {
        const { rows } = await a.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_records WHERE session_id = $1', [sessionId]);
        seen.add(rows[0]?.n ?? -1);
      }
    })();

    const winners: string[] = [];
    try {
      for (let round = 0; round < 4; round++) {
        const from = 2 + round * BATCH;
        // b inserts in reverse: the first INSERTs of both succeed, then each waits for the other
        // (a deadlock PostgreSQL breaks; the store retries the victim, which then conflicts)
        const results = await Promise.allSettled([a.store.appendRecords(batch('a', from)), b.store.appendRecords(batch('b', from).reverse())]);
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i === 0 ? 'a' : 'b'] : []));
        expect(won).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected');
        expect(isDomainError(lost?.reason, 'CONFLICT')).toBe(true);
        winners.push(won[0] as string);
      }
      // disjoint batches of two sessions from the two instances both commit
      const other = '00000000-0000-4000-8000-0000000000bb';
      await b.store.createSession(
        { session_id: other, block_id: 'bb'.repeat(16), agent_id: 'racer', status: 'OPEN', created_at: '2026-11-22T00:00:00.000Z' },
        { sessionId: other, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{"ale_seq":1}', hash: '0'.repeat(64) },
      );
      await Promise.all([
        a.store.appendRecords(batch('a', 2 + 4 * BATCH)),
        b.store.appendRecords(batch('b', 2).map((r) => ({ ...r, sessionId: other }))),
      ]);
    } finally {
      racing = false;
      await watcher;
    }

    expect(seen.size).toBeGreaterThan(1);
    for (const n of seen) expect((n - 1) % BATCH, `a reader saw ${n} records`).toBe(0);
    const records = await b.store.listRecords(sessionId);
    expect(records.map((r) => r.aleSeq)).toEqual(Array.from({ length: 1 + 5 * BATCH }, (_, i) => i + 1));
    for (let round = 0; round < 4; round++) {
      const writers = new Set(records.slice(1 + round * BATCH, 1 + (round + 1) * BATCH).map((r) => JSON.parse(r.canonical).writer));
      expect([...writers]).toEqual([winners[round]]);
    }
    expect((await a.store.listRecords('00000000-0000-4000-8000-0000000000bb')).length).toBe(1 + BATCH);
  });

  it('a kernel on PostgreSQL keeps the checkpoints it signed and the manifest chain: a rewritten log or deleted manifests are refused (issue 12)', async () => {
    const url = await database();
    const h = makeHarness({ store: (await open(url)).store });
    const closeOne = async () => {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
      await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
      expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
    };
    await closeOne();
    await closeOne();
    expect((await h.call('GET', '/v1/audit/checkpoint')).status).toBe(200);
    const pool = (await open(url)).pool;
    await pool.query("UPDATE block_log SET leaf_hash = repeat('0', 64) WHERE idx = 0");
    await closeOne();
    const refused = await h.call('GET', '/v1/audit/checkpoint');
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain('not consistent with the checkpoint signed at size 2');
    expect((await pool.query("SELECT seq FROM documents WHERE kind = 'block_log_checkpoint'")).rows.map((r) => r.seq)).toEqual([2]);
    // the manifests deleted: a restarted kernel starts in MANIFEST_INTEGRITY_FAILURE
    await pool.query("DELETE FROM documents WHERE kind = 'gec_manifest'");
    const restarted = makeHarness({ store: (await open(url)).store });
    await restarted.started;
    expect((await restarted.call('GET', '/healthz')).json.state).toBe('MANIFEST_INTEGRITY_FAILURE');
  });
});
