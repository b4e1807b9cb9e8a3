import { DomainError } from '../errors.ts';

/**
 * A bounded in-memory set of token ids seen and still valid (assertion and DPoP `jti`s). An id
 * is kept until its token expires, so a replay within its lifetime is refused. When the set is
 * full of unexpired ids, new ones are refused (UNAVAILABLE): fail closed rather than forget.
 * One per kernel process: kernels sharing a store do not share it (docs/identity.md).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly limit: number;

  constructor(limit = 100_000) {
    this.limit = limit;
  }

  /** Records `id` until `expiresAt` (Unix seconds); false when it is already recorded and unexpired. */
  use(id: string, expiresAt: number, now: number): boolean {
    const until = this.seen.get(id);
    if (until !== undefined && until >= now) return false;
    if (this.seen.size >= this.limit) {
      for (const [k, t] of this.seen) if (t < now) this.seen.delete(k);
      if (this.seen.size >= this.limit) throw new DomainError('UNAVAILABLE', 'too many proofs in flight: the replay cache is full; retry shortly');
    }
    this.seen.set(id, expiresAt);
    return true;
  }
}
