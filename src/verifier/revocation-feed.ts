/** One page of the kernel's revocation feed (`GET /v1/revocations`, alias `/v1/credentials/revocations`). */
type FeedPage = { sequence: number; generated_at: string; revocations: { seq: number; kind?: string; id?: string; jti?: string; exp?: number }[]; next_since?: number };

/**
 * The revoked credential ids, kept current by polling the kernel's feed on demand (no timers,
 * so it runs the same on workerd): a check polls when the last poll is older than `pollMs`. The
 * feed counts as fresh while its `generated_at` (kernel clock) is within `maxAgeMs` of this
 * clock; a verifier refuses every credential while it is not.
 */
export class RevocationFeed {
  private readonly revoked = new Map<string, number>();
  /** Revoked agent XPIDs (a credential's `sub`): these never expire. */
  private readonly xpids = new Set<string>();
  private since = 0;
  private generatedAt = -Infinity;
  private polledAt = -Infinity;
  private readonly url: string;
  private readonly fetcher: typeof fetch;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly maxAgeMs: number;

  constructor(options: { url: string; fetch: typeof fetch; now: () => number; pollMs: number; maxAgeMs: number }) {
    this.url = options.url;
    this.fetcher = options.fetch;
    this.now = options.now;
    this.pollMs = options.pollMs;
    this.maxAgeMs = options.maxAgeMs;
  }

  /** `revoked` / `clear` for `jti` (and the agent XPID `sub`), or `stale` when the feed cannot be brought within its age bound. */
  async status(jti: string, sub?: string): Promise<'revoked' | 'clear' | 'stale'> {
    if (this.now() - this.polledAt >= this.pollMs) {
      try {
        await this.poll();
      } catch {
        // a failed poll leaves the last feed: fresh enough or not, decided below
      }
    }
    if (this.now() - this.generatedAt > this.maxAgeMs) return 'stale';
    return this.revoked.has(jti) || (sub !== undefined && this.xpids.has(sub)) ? 'revoked' : 'clear';
  }

  private async poll(): Promise<void> {
    for (let page = 0; page < 100; page++) {
      const res = await this.fetcher(`${this.url}?since=${this.since}`, { headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`the revocation feed answered ${res.status}`);
      const body = (await res.json()) as FeedPage;
      if (typeof body.sequence !== 'number' || !Array.isArray(body.revocations) || typeof body.generated_at !== 'string') throw new Error('the revocation feed is malformed');
      for (const r of body.revocations) {
        if (typeof r.seq !== 'number') continue;
        this.since = Math.max(this.since, r.seq);
        // entries of other kinds (KIA_KEY, GEC_MANIFEST, …) do not name credentials
        if (r.kind === 'XPID' && typeof r.id === 'string') this.xpids.add(r.id);
        else if ((r.kind === undefined || r.kind === 'MANDATE_JTI') && typeof r.jti === 'string') this.revoked.set(r.jti, typeof r.exp === 'number' ? r.exp : Number.MAX_SAFE_INTEGER);
      }
      if (body.next_since === undefined) {
        const generated = Date.parse(body.generated_at);
        if (!Number.isFinite(generated)) throw new Error('the revocation feed has no valid generated_at');
        this.generatedAt = Math.max(this.generatedAt, generated);
        this.polledAt = this.now();
        this.forgetExpired();
        return;
      }
    }
  }

  /** Entries of credentials past their exp (plus an hour) no longer matter. */
  private forgetExpired(): void {
    const horizon = Math.floor(this.now() / 1000) - 3600;
    for (const [jti, exp] of this.revoked) if (exp < horizon) this.revoked.delete(jti);
  }
}
