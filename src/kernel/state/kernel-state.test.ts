import { describe, expect, it } from 'vitest';
import { KernelState, type KernelCondition } from './kernel-state.ts';

describe('KernelState', () => {
  it('is NORMAL with no condition and reports the most restrictive one first', () => {
    const s = new KernelState();
    expect(s.primary()).toBe('NORMAL');
    s.enter('SUSPENDED_GAR', 'store down');
    s.enter('DENY_ALL', 'engine gone');
    expect(s.primary()).toBe('DENY_ALL');
    expect(s.snapshot().conditions.map((c) => c.state)).toEqual(['DENY_ALL', 'SUSPENDED_GAR']);
    s.leave('DENY_ALL');
    expect(s.primary()).toBe('SUSPENDED_GAR');
    s.leave('SUSPENDED_GAR');
    expect(s.primary()).toBe('NORMAL');
  });

  it('holds any combination at once; leaving one keeps the others with their reasons', () => {
    const all: KernelCondition[] = ['SIGNING_SUSPENDED', 'SUSPENDED_GAR', 'DENY_ALL', 'MANIFEST_INTEGRITY_FAILURE'];
    const order = ['MANIFEST_INTEGRITY_FAILURE', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED'];
    // every subset, entered in an arbitrary order, reports in precedence order
    for (let mask = 1; mask < 16; mask++) {
      const s = new KernelState();
      const held = all.filter((_, i) => mask & (1 << i));
      for (const c of held) s.enter(c, `why ${c}`);
      const expected = order.filter((c) => held.includes(c as KernelCondition));
      expect(s.snapshot()).toEqual({ state: expected[0], conditions: expected.map((c) => ({ state: c, reason: `why ${c}` })) });
      for (const c of held) {
        s.leave(c);
        expect(s.has(c)).toBe(false);
        expect(s.reason(c)).toBeUndefined();
        for (const other of held.filter((o) => s.has(o))) expect(s.reason(other)).toBe(`why ${other}`);
      }
      expect(s.primary()).toBe('NORMAL');
    }
  });

  it('re-entering a condition replaces its reason; leaving one that does not hold is a no-op', () => {
    const s = new KernelState();
    s.leave('DENY_ALL');
    s.enter('DENY_ALL', 'first');
    s.enter('DENY_ALL', 'second');
    expect(s.snapshot().conditions).toEqual([{ state: 'DENY_ALL', reason: 'second' }]);
  });

  it('a condition entered by two sources holds until both leave; each leaves only its own', () => {
    const s = new KernelState();
    s.enter('DENY_ALL', 'stored profile unreadable');
    s.enter('DENY_ALL', 'cluster: NO_MAJORITY', 'cluster');
    expect(s.reason('DENY_ALL')).toBe('stored profile unreadable; cluster: NO_MAJORITY');
    s.leave('DENY_ALL', 'cluster');
    expect(s.snapshot().conditions).toEqual([{ state: 'DENY_ALL', reason: 'stored profile unreadable' }]);
    s.enter('DENY_ALL', 'cluster: SYNCING', 'cluster');
    s.leave('DENY_ALL');
    expect(s.snapshot().conditions).toEqual([{ state: 'DENY_ALL', reason: 'cluster: SYNCING' }]);
    s.leave('DENY_ALL', 'cluster');
    expect(s.primary()).toBe('NORMAL');
  });
});
