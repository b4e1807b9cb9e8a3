/**
 * The conformance requirements the kernel checks itself (issue 21's hook,
 * `ManifestInputs.requirements`): KEE-1 P3 and P8 are MUST at every level, so each is listed at
 * KEE1-L1; an unmet one is served in `conformance_unmet` and on /healthz with its reason, and
 * the deployment cannot claim KEE1-L2 while it is unmet (see `computeConformance`).
 */
import type { ConformanceRequirement } from './level.ts';

/** P3: the ACD four-check sequence is available and passed at start. */
export const P3_ACD = 'p3_acd_four_check';
/** P8: the revocation registry is loaded and every configured SSF receiver stream is healthy. */
export const P8_REVOCATION = 'p8_revocation';
export const KERNEL_REQUIREMENTS = [P3_ACD, P8_REVOCATION] as const;

export type KernelRequirementFacts = {
  /** The ACD check at start: `pending` before it ran (the start-time manifest precedes it), null when it passed, else its failure. */
  acdStartup: () => 'pending' | null | { failedCheck: number; reason: string };
  /** Whether the revocation registry was replayed from its stored log (at start). */
  revocationLoaded: () => boolean;
  /** Why revocation status cannot be confirmed now (an SSF receiver stream unhealthy), or null. */
  revocationUnconfirmed: () => string | null;
};

export function kernelRequirements(f: KernelRequirementFacts): ConformanceRequirement[] {
  const acd = f.acdStartup();
  // before the start-time check has run the sequence is wired and about to be checked; a start
  // whose check fails re-issues the manifest with this requirement unmet
  const p3: ConformanceRequirement =
    acd === null || acd === 'pending'
      ? { requirement: P3_ACD, level: 'KEE1-L1', met: true }
      : { requirement: P3_ACD, level: 'KEE1-L1', met: false, reason: `the ACD four-check sequence failed at start (check ${acd.failedCheck}): ${acd.reason}` };
  const unconfirmed = f.revocationUnconfirmed();
  const p8: ConformanceRequirement = !f.revocationLoaded()
    ? { requirement: P8_REVOCATION, level: 'KEE1-L1', met: false, reason: 'the revocation registry has not been loaded from its stored log' }
    : unconfirmed !== null
      ? { requirement: P8_REVOCATION, level: 'KEE1-L1', met: false, reason: `an SSF receiver stream is unhealthy: ${unconfirmed}` }
      : { requirement: P8_REVOCATION, level: 'KEE1-L1', met: true };
  return [p3, p8];
}

type Unmet = { requirement: string; level: string; reason: string };

/**
 * What /healthz serves: the manifest's level and unmet list, with the kernel's own requirements
 * read now (they may have changed since the manifest was issued; the next epoch catches up).
 * An unmet one keeps the level at KEE1-L1 (no KEE1-L2 claim while P3 or P8 is unmet).
 */
export function liveConformance(issued: { level: string; unmet: Unmet[] } | null, now: readonly ConformanceRequirement[]): { level: string; unmet: Unmet[] } | null {
  if (issued === null) return null;
  const own = new Set(now.map((r) => r.requirement));
  const nowUnmet = now.filter((r) => !r.met).map((r) => ({ requirement: r.requirement, level: r.level as string, reason: r.reason ?? 'not met' }));
  const unmet = [...issued.unmet.filter((u) => !own.has(u.requirement)), ...nowUnmet];
  return { level: nowUnmet.length > 0 && issued.level === 'KEE1-L2' ? 'KEE1-L1' : issued.level, unmet };
}
