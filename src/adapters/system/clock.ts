import type { Clock } from '../../ports/clock.ts';

/**
 * The host clock (NTP-disciplined on a conformant deployment). The ISO text is made once per
 * millisecond: under load many records share a millisecond, and `toISOString` is a visible
 * part of each audit append's cost.
 */
export function createSystemClock(now: () => number = Date.now): Clock {
  let lastMs = Number.NaN;
  let lastIso = '';
  return {
    nowIso: () => {
      const ms = now();
      if (ms !== lastMs) {
        lastIso = new Date(ms).toISOString();
        lastMs = ms;
      }
      return lastIso;
    },
  };
}

export const systemClock: Clock = createSystemClock();
