import type { KernelState } from '../state/kernel-state.ts';
import type { Decision } from '../types.ts';

/** Upper bounds (seconds) of the authorize latency histogram's buckets; `+Inf` is implicit. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A cumulative histogram as Prometheus exposes it: `counts[i]` observations ≤ `LATENCY_BUCKETS[i]`. */
export type HistogramSnapshot = { buckets: readonly number[]; counts: number[]; sum: number; count: number };

/** What the audit log reports to the counters. */
export type AuditMetrics = {
  /** A transaction stored `records` audit records (group commit: one batch; direct: one record). */
  committed(records: number): void;
  /** A session's first record is durable: it is open. */
  sessionOpened(): void;
  /** A session's SESSION_COMPLETE is durable: it is no longer open. */
  sessionCompleted(): void;
};

/**
 * The kernel's counters: plain numbers, no exporter. The HTTP layer renders them
 * (`GET /metrics`, Prometheus text format); the kernel only counts. Counters start at zero
 * with the process, as Prometheus expects; `sessions open` is seeded at start from the store.
 */
export class KernelMetrics implements AuditMetrics {
  readonly decisions: Record<Decision, number> = { PERMIT: 0, DENY: 0 };
  /** Authorize calls that ended in an error (no decision left the kernel). */
  authorizeErrors = 0;
  auditRecords = 0;
  auditBatches = 0;
  sessionsOpen = 0;
  private readonly latency = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
  private readonly now: () => number;

  /** `now`: a monotonic clock in milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Times one authorize call (single, batch or one-shot) from entry to its durable records. */
  async timeAuthorize<T>(decisions: (value: T) => readonly Decision[], fn: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      const value = await fn();
      for (const d of decisions(value)) this.decisions[d]++;
      return value;
    } catch (e) {
      this.authorizeErrors++;
      throw e;
    } finally {
      this.observe((this.now() - started) / 1000);
    }
  }

  observe(seconds: number): void {
    const s = Math.max(0, seconds);
    LATENCY_BUCKETS.forEach((le, i) => {
      if (s <= le) this.latency.counts[i] = (this.latency.counts[i] ?? 0) + 1;
    });
    this.latency.sum += s;
    this.latency.count++;
  }

  latencySnapshot(): HistogramSnapshot {
    return { buckets: LATENCY_BUCKETS, counts: [...this.latency.counts], sum: this.latency.sum, count: this.latency.count };
  }

  committed(records: number): void {
    this.auditRecords += records;
    this.auditBatches++;
  }

  sessionOpened(): void {
    this.sessionsOpen++;
  }

  sessionCompleted(): void {
    this.sessionsOpen = Math.max(0, this.sessionsOpen - 1);
  }
}

/** What `GET /metrics` renders: the counters, and the gauges read at the scrape. */
export type MetricsSnapshot = {
  metrics: KernelMetrics;
  state: ReturnType<KernelState['snapshot']>;
  capProfile: { id: string; version: number; cedarPolicyHash: string };
  oneShotSessionsOpen: number;
};
