import { describe, expect, it } from 'vitest';
import type { ScopeConstraint } from '../../ports/cap-profile.ts';
import { mayOverlap } from './conflict.ts';

const any: ScopeConstraint = { kind: 'any' };
const eq = (type: string, id: string): ScopeConstraint => ({ kind: 'eq', entity: { type, id } });
const is = (type: string): ScopeConstraint => ({ kind: 'is', type, in: [] });
const inn = (type: string, id: string): ScopeConstraint => ({ kind: 'in', entities: [{ type, id }] });

describe('mayOverlap (conservative: disjoint only when provable without entity data)', () => {
  it('is disjoint only for different exact entities or different fixed types', () => {
    expect(mayOverlap(eq('A', '1'), eq('A', '2'))).toBe(false);
    expect(mayOverlap(eq('A', '1'), eq('B', '1'))).toBe(false);
    expect(mayOverlap(eq('A', '1'), is('B'))).toBe(false);
    expect(mayOverlap(is('A'), is('B'))).toBe(false);
    expect(mayOverlap({ kind: 'is', type: 'A', in: [{ type: 'G', id: 'g' }] }, is('B'))).toBe(false);
  });

  it('overlaps whenever hierarchy or absence of a constraint leaves it open', () => {
    expect(mayOverlap(eq('A', '1'), eq('A', '1'))).toBe(true);
    expect(mayOverlap(any, eq('A', '1'))).toBe(true);
    expect(mayOverlap(eq('A', '1'), any)).toBe(true);
    expect(mayOverlap(eq('A', '1'), is('A'))).toBe(true);
    expect(mayOverlap(eq('A', '1'), inn('G', 'g'))).toBe(true);
    expect(mayOverlap(inn('G', 'g'), inn('H', 'h'))).toBe(true);
    expect(mayOverlap(is('A'), inn('G', 'g'))).toBe(true);
    expect(mayOverlap({ kind: 'in', entities: [{ type: 'Action', id: 'b' }] }, eq('Action', 'a'))).toBe(true);
  });
});
