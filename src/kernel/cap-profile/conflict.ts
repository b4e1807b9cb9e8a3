import type { InspectedPolicy, ScopeConstraint } from '../../ports/cap-profile.ts';
import type { EntityRef } from '../types.ts';

/** Tiers whose `forbid` a Tier 2 `permit` may not contradict (CAP §8.8 (i), widened to Tier 0). */
const PROTECTED_TIERS = new Set(['0-A', '0-B', '1']);

export type Conflict = { permit: string; forbid: string; forbid_tier: string };

/**
 * CAP §8.8 (i): a Tier 2 `permit` that could allow something a Tier 1 (or Tier 0-A / 0-B)
 * `forbid` prohibits. The rule is conservative — when in doubt, it is a conflict:
 *
 * - Two policies overlap when their principal, action and resource constraints may all match
 *   the same request. Conditions (`when` / `unless`) are not analyzed and never make two
 *   policies disjoint: a Tier 2 permit `when { x }` against a Tier 1 forbid `unless { x }` is a
 *   conflict, even though Cedar would never let both apply.
 * - Two constraints (principal, action or resource alike) are disjoint only when provably so
 *   without entity data: both pin an exact entity (`==`) and the entities differ, or both fix
 *   an entity type (`== T::"…"` or `is T`) and the types differ. So `action == Action::"a"`
 *   and `action in [Action::"b"]` overlap: `a` may be a member of the group `b`.
 * - `in E` (hierarchy membership) never proves disjointness: descendants are unknown at check
 *   time. `any` overlaps everything.
 *
 * Returns every conflicting (permit, forbid) pair, sorted, so the refusal names them all.
 */
export function findConflicts(policies: InspectedPolicy[]): Conflict[] {
  const permits = policies.filter((p) => p.effect === 'permit' && p.annotations.tier === '2');
  const forbids = policies.filter((p) => p.effect === 'forbid' && PROTECTED_TIERS.has(p.annotations.tier ?? ''));
  const out: Conflict[] = [];
  for (const p of permits) {
    for (const f of forbids) {
      if (mayOverlap(p.principal, f.principal) && mayOverlap(p.action, f.action) && mayOverlap(p.resource, f.resource)) {
        out.push({ permit: p.id ?? '', forbid: f.id ?? '', forbid_tier: f.annotations.tier ?? '' });
      }
    }
  }
  return out.sort((a, b) => (a.permit + '\u0000' + a.forbid < b.permit + '\u0000' + b.forbid ? -1 : 1));
}

/** False only when no request can satisfy both constraints, whatever the entity hierarchy. */
export function mayOverlap(a: ScopeConstraint, b: ScopeConstraint): boolean {
  if (a.kind === 'eq' && b.kind === 'eq') return sameEntity(a.entity, b.entity);
  const ta = fixedType(a);
  const tb = fixedType(b);
  if (ta !== null && tb !== null && ta !== tb) return false;
  return true;
}

/** The entity type a constraint fixes, if it fixes one. */
function fixedType(c: ScopeConstraint): string | null {
  if (c.kind === 'eq') return c.entity.type;
  if (c.kind === 'is') return c.type;
  return null;
}

function sameEntity(a: EntityRef, b: EntityRef): boolean {
  return a.type === b.type && a.id === b.id;
}
