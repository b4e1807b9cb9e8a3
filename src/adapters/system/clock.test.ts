import { describe, expect, it } from 'vitest';
import { createSystemClock, systemClock } from './clock.ts';

describe('system clock', () => {
  it('gives the ISO text of the current millisecond, every time', () => {
    const times = [1_790_000_000_000, 1_790_000_000_000, 1_790_000_000_001, 1_790_000_000_000, 0];
    let i = 0;
    const clock = createSystemClock(() => times[i++] as number);
    expect(times.map(() => clock.nowIso())).toEqual(times.map((t) => new Date(t).toISOString()));
  });

  it('follows the host clock', () => {
    const before = Date.now();
    const at = Date.parse(systemClock.nowIso());
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
