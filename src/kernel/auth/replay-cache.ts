import { DomainError } from '../errors.ts';

/** Unexpired ids a kernel keeps at most: about 15,000 proofs a second over their 65 s lifetime. */
export const REPLAY_CACHE_LIMIT = 1_000_000;

/**
 * A bounded in-memory set of token ids seen and still valid (assertion and DPoP `jti`s). An id
 * is kept until its token expires, so a replay within its lifetime is refused. When the set is
 * full of unexpired ids, new ones are refused (UNAVAILABLE): fail closed rather than forget.
 * One per kernel process: kernels sharing a store do not share it (docs/identity.md).
 *
 * Ids are kept in insertion order, which is close to expiry order (a proof's expiry is its `iat`
 * plus a fixed lifetime): expired ids are dropped from the front as new ones arrive, so a cache
 * under steady load costs O(1) per id; a full scan runs only when the set is at its limit, and
 * not again before the earliest expiry that scan found.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly limit: number;
  /** When the set was found full of live ids: no id expires before this (Unix seconds). */
  private fullUntil = -Infinity;

  constructor(limit = REPLAY_CACHE_LIMIT) {
    this.limit = limit;
  }

  /** Records `id` until `expiresAt` (Unix seconds); false when it is already recorded and unexpired. */
  use(id: string, expiresAt: number, now: number): boolean {
    const until = this.seen.get(id);
    if (until !== undefined && until >= now) return false;
    if (until !== undefined) this.seen.delete(id);
    for (const [k, t] of this.seen) {
      if (t >= now) break;
      this.seen.delete(k);
    }
    if (this.seen.size >= this.limit) {
      if (now <= this.fullUntil) throw full();
      let earliest = Infinity;
      for (const [k, t] of this.seen) {
        if (t < now) this.seen.delete(k);
        else if (t < earliest) earliest = t;
      }
      if (this.seen.size >= this.limit) {
        this.fullUntil = earliest;
        throw full();
      }
    }
    this.seen.set(id, expiresAt);
    return true;
  }

  /** Ids held (expired ones not yet dropped included). */
  get size(): number {
    return this.seen.size;
  }
}

function full(): DomainError {
  return new DomainError('UNAVAILABLE', 'too many proofs in flight: the replay cache is full; retry shortly');
}
