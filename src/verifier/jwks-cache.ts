import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

/**
 * The kernel's JWK Set, fetched on first use and kept. A `kid` it does not hold (a rotated key)
 * fetches the set again, at most once per `cooldownMs`; the set is also refreshed once older
 * than `maxAgeMs`.
 */
export class JwksCache {
  private keys: KeyLookup | null = null;
  private fetchedAt = -Infinity;
  private readonly url: string;
  private readonly fetcher: typeof fetch;
  private readonly now: () => number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;

  constructor(options: { url: string; fetch: typeof fetch; now: () => number; cooldownMs: number; maxAgeMs: number }) {
    this.url = options.url;
    this.fetcher = options.fetch;
    this.now = options.now;
    this.cooldownMs = options.cooldownMs;
    this.maxAgeMs = options.maxAgeMs;
  }

  /** The key for `header`, or null when the kernel publishes none with its `kid`. Throws when the set cannot be fetched. */
  async key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | null> {
    if (this.keys === null || this.now() - this.fetchedAt >= this.maxAgeMs) await this.load();
    try {
      return await (this.keys as KeyLookup)(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
    }
    if (this.now() - this.fetchedAt < this.cooldownMs) return null;
    await this.load();
    try {
      return await (this.keys as KeyLookup)(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey) return null;
      throw e;
    }
  }

  private async load(): Promise<void> {
    const res = await this.fetcher(this.url, { headers: { accept: 'application/jwk-set+json, application/json' } });
    if (!res.ok) throw new Error(`the kernel JWKS answered ${res.status}`);
    const set = (await res.json()) as JSONWebKeySet;
    this.keys = createLocalJWKSet(set);
    this.fetchedAt = this.now();
  }
}
