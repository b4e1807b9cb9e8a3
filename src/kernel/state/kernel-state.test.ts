import { describe, expect, it } from 'vitest';
import { KernelState } from './kernel-state.ts';

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
});
