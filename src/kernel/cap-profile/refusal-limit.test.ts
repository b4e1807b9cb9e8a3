import { describe, expect, it } from 'vitest';
import { RefusalLimiter } from './refusal-limit.ts';

const at = (s: number) => [s * 1000, new Date(s * 1000).toISOString()] as const;

describe('RefusalLimiter', () => {
  it('records a burst of perMinute refusals, then suppresses and counts, then reopens at the refill rate', () => {
    const l = new RefusalLimiter(6);
    for (let i = 0; i < 6; i++) expect(l.take(...at(0))).toEqual({ recorded: true, suppressed: undefined });
    expect(l.take(...at(0))).toEqual({ recorded: false, retryAfterSeconds: 10 });
    expect(l.take(...at(4))).toEqual({ recorded: false, retryAfterSeconds: 6 });
    // one token every 10 s
    expect(l.take(...at(10))).toEqual({ recorded: true, suppressed: { count: 2, first_at: at(0)[1], last_at: at(4)[1] } });
    expect(l.take(...at(10))).toMatchObject({ recorded: false });
    expect(l.take(...at(20))).toEqual({ recorded: true, suppressed: { count: 1, first_at: at(10)[1], last_at: at(10)[1] } });
  });

  it('refills no further than the burst, and a clock stepping back refills nothing', () => {
    const l = new RefusalLimiter(2);
    expect(l.take(...at(0)).recorded).toBe(true);
    expect(l.take(...at(3600)).recorded).toBe(true);
    expect(l.take(...at(3600)).recorded).toBe(true);
    expect(l.take(...at(3600)).recorded).toBe(false);
    expect(l.take(...at(0)).recorded).toBe(false);
    expect(l.take(...at(3629)).recorded).toBe(false);
    expect(l.take(...at(3630)).recorded).toBe(true);
  });

  it('refuses a nonsensical rate', () => {
    expect(() => new RefusalLimiter(0)).toThrow(RangeError);
  });
});
