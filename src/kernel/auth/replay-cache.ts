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
 *
 * Ids are held as a 53-bit hash: two different ids colliding (odds about n²/2⁵⁴, ~5·10⁻⁵ with a
 * million ids held) only refuse the second as a replay — fail closed — and the ids hashed are
 * the caller's key thumbprint and a `jti` of its choosing, so no one can aim a collision at
 * another key's next proof without knowing its `jti`.
 */
export class ReplayCache {
  /** Expiry by a 53-bit hash of the id: ~46 bytes per id instead of ~570 for the string. */
  private readonly seen = new Map<number, number>();
  private readonly limit: number;
  /** When the set was found full of live ids: no id expires before this (Unix seconds). */
  private fullUntil = -Infinity;

  constructor(limit = REPLAY_CACHE_LIMIT) {
    this.limit = limit;
  }

  /** Records `id` until `expiresAt` (Unix seconds); false when it is already recorded and unexpired. */
  use(id: string, expiresAt: number, now: number): boolean {
    const key = hash53(id);
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return false;
    if (until !== undefined) this.seen.delete(key);
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
    this.seen.set(key, expiresAt);
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

/** cyrb53: a fast non-cryptographic 53-bit string hash (public domain). */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
