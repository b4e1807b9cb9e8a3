import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.ts';
import { ReplayCache } from './replay-cache.ts';

describe('ReplayCache', () => {
  it('refuses an id again until it expires, forgets expired ids when full, and fails closed when full of live ones', () => {
    const c = new ReplayCache(2);
    expect(c.use('a', 100, 50)).toBe(true);
    expect(c.use('a', 100, 60)).toBe(false);
    expect(c.use('a', 200, 101)).toBe(true);
    expect(c.use('b', 110, 101)).toBe(true);
    // full of unexpired ids: refused (UNAVAILABLE), never forgotten
    let err: unknown;
    try {
      c.use('c', 300, 102);
    } catch (e) {
      err = e;
    }
    expect(isDomainError(err, 'UNAVAILABLE')).toBe(true);
    // once `b` expired there is room again, and `a` is still refused
    expect(c.use('c', 300, 111)).toBe(true);
    expect(c.use('a', 300, 111)).toBe(false);
  });
});
