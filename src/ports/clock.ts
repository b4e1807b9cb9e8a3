/** The kernel clock: the only source of timestamps in records (KEE clock authority). */
export interface Clock {
  /** Current time as RFC 3339 UTC with milliseconds, e.g. `2026-11-22T03:00:00.000Z`. */
  nowIso(): string;
}
