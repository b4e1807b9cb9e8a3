/**
 * A token bucket over refused CAP Profile updates, so that unauthenticated refusals cannot fill
 * the journal (issue 12: 30 refused 4 MiB PUTs, 30 records). Up to `perMinute` refusals are
 * recorded in any minute (a burst of `perMinute`, then one every `60 / perMinute` s); past that a
 * refusal is answered `RATE_LIMITED` (429, with a retry delay) and only counted. The next refusal
 * that is recorded first records how many were suppressed since the last one, and when.
 *
 * Pure: the caller passes the time (milliseconds, from the kernel's Clock).
 */

/** Refused updates recorded per minute by default. */
export const DEFAULT_CAP_REFUSALS_PER_MINUTE = 10;

export type SuppressedRefusals = { count: number; first_at: string; last_at: string };

export type RefusalSlot =
  /** Record this refusal; record `suppressed` first, if there is one. */
  | { recorded: true; suppressed: SuppressedRefusals | undefined }
  /** Do not record it: answer RATE_LIMITED, retry after this many whole seconds. */
  | { recorded: false; retryAfterSeconds: number };

export class RefusalLimiter {
  private tokens: number;
  private last: number | undefined;
  private suppressed: SuppressedRefusals | undefined;

  private readonly perMinute: number;

  constructor(perMinute = DEFAULT_CAP_REFUSALS_PER_MINUTE) {
    this.perMinute = perMinute;
    if (!Number.isSafeInteger(perMinute) || perMinute < 1) throw new RangeError(`refusals per minute must be a positive integer, got ${perMinute}`);
    this.tokens = perMinute;
  }

  /** Takes a slot for one refusal at `nowMs` (`nowIso` is the same instant, for the summary). */
  take(nowMs: number, nowIso: string): RefusalSlot {
    const perMs = this.perMinute / 60_000;
    // a clock that steps back refills nothing (and never drains the bucket)
    if (this.last !== undefined && nowMs > this.last) this.tokens = Math.min(this.perMinute, this.tokens + (nowMs - this.last) * perMs);
    if (this.last === undefined || nowMs > this.last) this.last = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      const suppressed = this.suppressed;
      this.suppressed = undefined;
      return { recorded: true, suppressed };
    }
    if (this.suppressed === undefined) this.suppressed = { count: 1, first_at: nowIso, last_at: nowIso };
    else this.suppressed = { ...this.suppressed, count: this.suppressed.count + 1, last_at: nowIso };
    return { recorded: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000)) };
  }
}
