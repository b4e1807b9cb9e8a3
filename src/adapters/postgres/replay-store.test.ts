import { describe, expect, it } from 'vitest';
import { runReplayStoreContract } from '../../../test/contract/replay-store.case.ts';
import { usePostgres } from '../../../test/support/postgres.ts';
import type { PostgresStore } from './open-postgres.ts';
import { PostgresReplayStore } from './replay-store.ts';

const pg = usePostgres();

/** Two kernels' stores on one fresh database (migrated by openPostgresStore), and its rows. */
async function twoKernels(): Promise<{ a: PostgresStore; b: PostgresStore; rows: () => Promise<{ id: string; expires_at: number }[]> }> {
  const url = await pg.database();
  const a = await pg.open(url);
  const b = await pg.open(url);
  const rows = async () => (await a.pool.query<{ id: string; expires_at: string }>('SELECT id, expires_at FROM replay_ids ORDER BY id')).rows.map((r) => ({ id: r.id, expires_at: Number(r.expires_at) }));
  return { a, b, rows };
}

// each kernel claims on its own claim pool (synchronous_commit=off), as the kernels do
runReplayStoreContract('PostgresReplayStore', async () => {
  const { a, b, rows } = await twoKernels();
  return { kernel: (i) => new PostgresReplayStore((i === 0 ? a : b).claims), rows };
});

describe('PostgresReplayStore', () => {
  it("claims run on each kernel's claim pool, with synchronous_commit=off: a claim is seen by the other kernel at once", async () => {
    const { a: pa, b: pb } = await twoKernels();
    expect((await pa.claims.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit).toBe('off');
    expect(await new PostgresReplayStore(pa.claims).claim('p1', 100, 40)).toBe(true);
    expect(await new PostgresReplayStore(pb.claims).claim('p1', 100, 50)).toBe(false);
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

  it('a sweeping claim of an expired id takes its row over rather than deleting it', async () => {
    const { a: pa, rows } = await twoKernels();
    expect(await new PostgresReplayStore(pa.pool).claim('y', 5, 1)).toBe(true);
    const sweeper = new PostgresReplayStore(pa.pool); // its first claim sweeps
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
