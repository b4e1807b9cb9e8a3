/**
 * The Worker's recovery gate (`recovery-gate.ts`): it opens once no request has been in flight
 * for the quiet time, or at the latest after the longest wait, whatever the requests do. The
 * clock and the sleep are driven by hand.
 */
import { describe, expect, it } from 'vitest';
import { recoveryGate, type RecoveryGate } from './recovery-gate.ts';

/** A gate over a hand-driven clock; `events` (time → what happens) run once each as the clock passes them. */
function driven(events: [number, (g: RecoveryGate) => void][] = []) {
  let t = 0;
  let sleeps = 0;
  const pending = [...events];
  const gate: RecoveryGate = recoveryGate({
    quietMs: 50,
    maxMs: 1_000,
    now: () => t,
    sleep: async (ms) => {
      sleeps++;
      t += ms;
      while (pending.length > 0 && pending[0]![0] <= t) pending.shift()![1](gate);
    },
  });
  return { gate, now: () => t, sleeps: () => sleeps, set: (to: number) => void (t = to) };
}

describe('recovery gate (workerd)', () => {
  it('waits while a request is in flight, then until none has been for the quiet time', async () => {
    // the request that starts the kernel is answered at 30 ms; the first authorize runs from 60 to 100 ms
    const d = driven([
      [30, (g) => g.leave()],
      [60, (g) => g.enter()],
      [100, (g) => g.leave()],
    ]);
    d.gate.enter();
    await d.gate.quiet();
    expect(d.now()).toBeGreaterThanOrEqual(150);
    expect(d.now()).toBeLessThan(200);
  });

  it('opens after the longest wait although requests never stop', async () => {
    const d = driven();
    d.gate.enter(); // never leaves
    await d.gate.quiet();
    expect(d.now()).toBe(1_000);
  });

  it('opens at once when the isolate has been quiet long enough already', async () => {
    const d = driven();
    d.gate.enter();
    d.set(10);
    d.gate.leave();
    d.set(500);
    await d.gate.quiet();
    expect(d.sleeps()).toBe(0);
  });
});
