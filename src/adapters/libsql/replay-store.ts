import { lt } from 'drizzle-orm';
import type { ReplayStore } from '../../ports/replay-store.ts';
import { replayIds } from './schema.ts';
import type { SqliteDb } from './store.ts';

/** Expired ids are deleted at a kernel's first claim and every this many after, in the same round trip as the claim. */
const SWEEP_EVERY = 64;

/**
 * The shared replay store over the audit database (`replay_ids`, libSQL or D1): one statement
 * per claim, an upsert that inserts the id, or takes over its row when that row has expired, and
 * returns the row only then. A live row makes it return nothing: a replay. Two kernels claiming
 * one id at once are ordered by the database, so one of them gets no row. Query builders, not
 * `sql` text: D1's drizzle batch cannot bind parameters of raw statements.
 */
export class SqliteReplayStore implements ReplayStore {
  private readonly db: SqliteDb;
  private claims = 0;

  constructor(db: SqliteDb) {
    this.db = db;
  }

  async claim(id: string, expiresAt: number, now: number): Promise<boolean> {
    const upsert = this.db
      .insert(replayIds)
      .values({ id, expiresAt })
      .onConflictDoUpdate({ target: replayIds.id, set: { expiresAt }, setWhere: lt(replayIds.expiresAt, now) })
      .returning({ id: replayIds.id });
    if (this.claims++ % SWEEP_EVERY !== 0) return (await upsert).length === 1;
    const [rows] = (await this.db.batch([upsert, this.db.delete(replayIds).where(lt(replayIds.expiresAt, now))])) as [{ id: string }[], unknown];
    return rows.length === 1;
  }
}
