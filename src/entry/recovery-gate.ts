/**
 * When a Worker's isolate recovers what an earlier one left behind (the kernel option
 * `recoveryGate`, docs/edge.md#cold-start): once no request has been in flight for `quietMs`, or
 * `maxMs` after it was asked at the latest. On workerd the isolate's requests, its local D1 and the
 * recovery share one thread: recovering beside the isolate's first requests (a session opened,
 * then its first `authorize`) made them wait for the recovery's queries and signing. The requests
 * are counted by the Worker's `fetch` (`enter`/`leave`); `quiet()` runs in the request that starts
 * the kernel (kept alive past its response with `waitUntil`) and polls with `sleep`.
 */
export type RecoveryGate = {
  enter(): void;
  leave(): void;
  /** Settles once the isolate is quiet, or after `maxMs`. */
  quiet(): Promise<void>;
};

export function recoveryGate(options: { quietMs: number; maxMs: number; now?: () => number; sleep?: (ms: number) => Promise<void> }): RecoveryGate {
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let inFlight = 0;
  let lastLeft = now();
  return {
    enter() {
      inFlight++;
    },
    leave() {
      inFlight = Math.max(0, inFlight - 1);
      lastLeft = now();
    },
    async quiet() {
      const asked = now();
      for (;;) {
        const t = now();
        if (t - asked >= options.maxMs) return;
        if (inFlight === 0 && t - lastLeft >= options.quietMs) return;
        await sleep(Math.max(1, Math.min(options.quietMs, options.maxMs - (t - asked))));
      }
    },
  };
}
