import { describe, expect, it } from 'vitest';
import type { ReplayStore } from '../../src/ports/replay-store.ts';

/** A fresh shared database: `kernel(i)` is a new store on kernel i's connection to it, `rows` its `replay_ids`. */
export type ReplayStoreFixture = { kernel: (i: 0 | 1) => ReplayStore; rows: () => Promise<{ id: string; expires_at: number }[]> };

/** The ReplayStore contract: every implementation (D1/libSQL, PostgreSQL) runs it. */
export function runReplayStoreContract(name: string, open: () => Promise<ReplayStoreFixture>): void {
  describe(`ReplayStore contract: ${name}`, () => {
    it('two kernels over one database: an id claimed by one is refused by the other until it expires, then claimed again', async () => {
      const { kernel, rows } = await open();
      const a = kernel(0);
      const b = kernel(1);
      expect(await a.claim('p1', 100, 40)).toBe(true);
      expect(await b.claim('p1', 100, 50)).toBe(false);
      expect(await a.claim('p1', 100, 100)).toBe(false); // still valid at its expiry second
      expect(await b.claim('p1', 170, 101)).toBe(true); // expired: taken over, with the new expiry
      expect(await a.claim('p1', 170, 150)).toBe(false);
      // concurrent claims of one id: exactly one wins
      const both = await Promise.all([a.claim('p2', 200, 150), b.claim('p2', 200, 150)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await rows()).toEqual([
        { id: 'p1', expires_at: 170 },
        { id: 'p2', expires_at: 200 },
      ]);
    });

    it('sweeps expired ids at its first claim and every 64th after, in the same round trip', async () => {
      const { kernel, rows } = await open();
      const old = kernel(0);
      for (let i = 0; i < 3; i++) expect(await old.claim(`old${i}`, 10, 1)).toBe(true);
      const fresh = kernel(0);
      expect(await fresh.claim('new0', 100, 20)).toBe(true); // its first claim: the expired ones go
      expect((await rows()).map((r) => r.id)).toEqual(['new0']);
      expect(await fresh.claim('x', 5, 1)).toBe(true);
      for (let i = 1; i < 63; i++) await fresh.claim(`new${i}`, 100, 20);
      expect((await rows()).map((r) => r.id)).toContain('x');
      await fresh.claim('new63', 100, 20); // the 65th claim
      expect((await rows()).map((r) => r.id)).not.toContain('x');
    });
  });
}
