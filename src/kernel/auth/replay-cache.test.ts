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

  it('drops expired ids from the front as new ones arrive: the set stays at the live ids, with no full scan needed', () => {
    const c = new ReplayCache(1_000);
    // 10 ids a second, each living 65 s, for 10 minutes: at most ~660 live at once
    for (let now = 0; now < 600; now++) {
      for (let i = 0; i < 10; i++) expect(c.use(`${now}-${i}`, now + 65, now)).toBe(true);
      expect(c.size).toBeLessThanOrEqual(660);
    }
    expect(c.use('599-3', 700, 600)).toBe(false);
    expect(c.use('540-3', 700, 600)).toBe(false);
    expect(c.use('530-3', 700, 600)).toBe(true);
  });

  it('an id used again after it expired is kept until its new expiry, not dropped with its old place', () => {
    const c = new ReplayCache(10);
    expect(c.use('a', 10, 0)).toBe(true);
    expect(c.use('b', 50, 0)).toBe(true);
    expect(c.use('a', 100, 20)).toBe(true);
    expect(c.use('c', 100, 60)).toBe(true);
    expect(c.use('a', 100, 70)).toBe(false);
    expect(c.size).toBe(2);
  });

  it('full of live ids: refused until the earliest of them expires, then accepted', () => {
    const c = new ReplayCache(3);
    expect(c.use('x', 200, 0)).toBe(true);
    expect(c.use('y', 100, 0)).toBe(true);
    expect(c.use('z', 300, 0)).toBe(true);
    for (const now of [1, 50, 100]) expect(() => c.use(`n${now}`, 400, now)).toThrow('replay cache is full');
    expect(c.use('n101', 400, 101)).toBe(true);
    expect(c.use('x', 400, 101)).toBe(false);
  });
});
