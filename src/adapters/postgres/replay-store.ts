import type { Pool } from 'pg';
import type { ReplayStore } from '../../ports/replay-store.ts';

/** Expired ids are deleted at a kernel's first claim and every this many after, in the same statement as the claim. */
const SWEEP_EVERY = 64;

// An upsert that inserts the id, or takes over its row when that row has expired, and returns
// the row only then: a live row makes it return nothing (a replay). Two kernels claiming one id
// at once are ordered by the primary key (the second waits for the first to commit, then sees a
// live row), so exactly one gets the row. Each statement commits on its own (autocommit).
const CLAIM =
  'INSERT INTO replay_ids (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE replay_ids.expires_at < $3 RETURNING id';

// The sweep rides along: it deletes only expired rows no one else holds (SKIP LOCKED: it never
// waits, so sweeps of several kernels cannot deadlock each other or a claim) and never the id
// being claimed (the upsert takes that row over itself).
const SWEEP_AND_CLAIM = `WITH swept AS (DELETE FROM replay_ids WHERE id IN (SELECT id FROM replay_ids WHERE expires_at < $3 AND id <> $1 FOR UPDATE SKIP LOCKED)) ${CLAIM}`;

/**
 * The shared replay store over the PostgreSQL audit database (`replay_ids`): the kernels of one
 * database (docs/cluster.md) refuse an assertion or DPoP `jti` another one accepted while it is
 * valid. One round trip per claim; an error (server gone, pool closed) rejects, and the kernel
 * then refuses the proof (503, fail closed). Given the `claims` pool of `openPostgresStore`
 * (`synchronous_commit=off`), a claim is visible to the other kernels as soon as it returns but
 * made durable by the next flushed commit: the record of the call it admitted, before the answer.
 */
export class PostgresReplayStore implements ReplayStore {
  private readonly pool: Pick<Pool, 'query'>;
  private claims = 0;

  constructor(pool: Pick<Pool, 'query'>) {
    this.pool = pool;
  }

  async claim(id: string, expiresAt: number, now: number): Promise<boolean> {
    const text = this.claims++ % SWEEP_EVERY === 0 ? SWEEP_AND_CLAIM : CLAIM;
    const { rowCount } = await this.pool.query({ text, values: [id, expiresAt, now] });
    return rowCount === 1;
  }
}
