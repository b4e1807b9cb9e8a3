import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../test/support/postgres.ts';
import { openPostgresStore, type PostgresStore } from './open-postgres.ts';
import { PostgresReplayStore } from './replay-store.ts';

let server: PostgresServer | undefined;
let startError: unknown;
const opened: PostgresStore[] = [];

// never skipped: a missing server fails every test with the reason
beforeAll(async () => {
  server = await startPostgres().catch((e: unknown) => {
    startError = e;
    return undefined;
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => {})));
  await server?.stop();
});

/** Two kernels' stores on one fresh database (migrated by openPostgresStore), and its rows. */
async function twoKernels(): Promise<{ a: PostgresStore; b: PostgresStore; rows: () => Promise<{ id: string; expires_at: number }[]> }> {
  if (!server) throw startError ?? new Error('the postgresql test server did not start');
  const url = await server.createDatabase();
  const a = await openPostgresStore(url);
  const b = await openPostgresStore(url);
  opened.push(a, b);
  const rows = async () => (await a.pool.query<{ id: string; expires_at: string }>('SELECT id, expires_at FROM replay_ids ORDER BY id')).rows.map((r) => ({ id: r.id, expires_at: Number(r.expires_at) }));
  return { a, b, rows };
}

describe('PostgresReplayStore', () => {
  it('two kernels over one database: an id claimed by one is refused by the other until it expires, then claimed again', async () => {
    const { a: pa, b: pb, rows } = await twoKernels();
    // the kernels' claim pools (synchronous_commit=off): a claim is seen by the other at once
    expect((await pa.claims.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit).toBe('off');
    const a = new PostgresReplayStore(pa.claims);
    const b = new PostgresReplayStore(pb.claims);
    expect(await a.claim('p1', 100, 40)).toBe(true);
    expect(await b.claim('p1', 100, 50)).toBe(false);
    expect(await a.claim('p1', 100, 100)).toBe(false); // still valid at its expiry second
    expect(await b.claim('p1', 170, 101)).toBe(true); // expired: taken over, with the new expiry
    expect(await a.claim('p1', 170, 150)).toBe(false);
    expect(await rows()).toEqual([{ id: 'p1', expires_at: 170 }]);
  });

  it('concurrent claims of one id from two pools: exactly one wins, each time', async () => {
    const { a: pa, b: pb, rows } = await twoKernels();
    const stores = [new PostgresReplayStore(pa.claims), new PostgresReplayStore(pb.claims), new PostgresReplayStore(pa.claims), new PostgresReplayStore(pb.claims)];
    for (let i = 0; i < 20; i++) {
      const won = await Promise.all(stores.map((s) => s.claim(`c${i}`, 500, 100)));
      expect(won.filter(Boolean), `c${i}`).toHaveLength(1);
    }
    // an expired id, raced for again: still exactly one
    const won = await Promise.all(stores.map((s) => s.claim('c0', 900, 600)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await rows()).find((r) => r.id === 'c0')).toEqual({ id: 'c0', expires_at: 900 });
  });

  it('sweeps expired ids at its first claim and every 64th after, in the same statement', async () => {
    const { a: pa, rows } = await twoKernels();
    const old = new PostgresReplayStore(pa.pool);
    for (let i = 0; i < 3; i++) expect(await old.claim(`old${i}`, 10, 1)).toBe(true);
    const fresh = new PostgresReplayStore(pa.pool);
    expect(await fresh.claim('new0', 100, 20)).toBe(true); // its first claim: the expired ones go
    expect((await rows()).map((r) => r.id)).toEqual(['new0']);
    expect(await fresh.claim('x', 5, 1)).toBe(true);
    for (let i = 1; i < 63; i++) await fresh.claim(`new${i}`, 100, 20);
    expect((await rows()).map((r) => r.id)).toContain('x');
    await fresh.claim('new63', 100, 20); // the 65th claim
    expect((await rows()).map((r) => r.id)).not.toContain('x');
    // a sweeping claim of an expired id takes its row over rather than deleting it
    expect(await fresh.claim('y', 5, 1)).toBe(true);
    const sweeper = new PostgresReplayStore(pa.pool);
    expect(await sweeper.claim('y', 300, 30)).toBe(true);
    expect((await rows()).find((r) => r.id === 'y')).toEqual({ id: 'y', expires_at: 300 });
  });

  it('rejects when the database cannot answer (the kernel refuses the proof)', async () => {
    const { a: pa } = await twoKernels();
    const s = new PostgresReplayStore(pa.claims);
    await pa.close();
    await expect(s.claim('z', 100, 1)).rejects.toThrow();
  });
});
