import type { Clock } from '../../ports/clock.ts';

/** The host clock (NTP-disciplined on a conformant deployment). */
export const systemClock: Clock = {
  nowIso: () => new Date().toISOString(),
};
