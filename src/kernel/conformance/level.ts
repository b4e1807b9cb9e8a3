/**
 * The KEE-1 conformance level, computed from what runs (issue 21; digest 2.9), not claimed.
 *
 * KEE1-L2 needs: the GAR store on PostgreSQL; the kernel's key as FROST shares held by signer
 * sidecars (separate processes); and every sidecar's TEE evidence verified, with its vendor
 * signature chain, in this epoch. Anything less is KEE1-L1, and each L2 requirement that is not
 * met is listed with its reason. KEE1-L3 (TEE + HSM, hardware chain to the deployment
 * authority) is never computed: nothing here checks an HSM.
 *
 * `extra` is the hook for requirements other parts of the kernel check (P3 four-check sequence,
 * P8 revocation propagation, …): each is listed with the level that needs it; an unmet one that
 * L1 already needs is listed (served beside the level) but does not lower it below L1 — the
 * level never goes below today's KEE1-L1 claim.
 */
import type { ConformanceLevel } from '../manifest/manifest.ts';
import type { TeeAttestationEntry } from '../attestation/evidence.ts';

/** How the audit store is held: `postgres` is the only L2 GAR store. */
export type StoreKind = 'postgres' | 'libsql' | 'memory' | 'other';

/** One requirement checked for a level; `met: false` carries the reason. */
export type ConformanceRequirement = { requirement: string; level: ConformanceLevel; met: boolean; reason?: string };

/** What the computation looks at. */
export type ConformanceFacts = {
  store: StoreKind;
  /** `frost` with sidecar participants, `frost` in process, or a single key. */
  signer: 'frost-sidecars' | 'frost-in-process' | 'ed25519';
  /** This epoch's sidecar attestations (empty without sidecars). */
  attestations: readonly TeeAttestationEntry[];
  /** Requirements checked elsewhere (P3, P8 …), through the hook. */
  extra?: readonly ConformanceRequirement[];
};

export type Conformance = { level: ConformanceLevel; requirements: ConformanceRequirement[] };

export function computeConformance(f: ConformanceFacts): Conformance {
  const reqs: ConformanceRequirement[] = [];
  reqs.push(
    f.store === 'postgres'
      ? { requirement: 'gar_store_postgresql', level: 'KEE1-L2', met: true }
      : { requirement: 'gar_store_postgresql', level: 'KEE1-L2', met: false, reason: `the GAR store is ${f.store === 'libsql' ? 'libSQL (SQLite WAL)' : f.store}; KEE1-L2 needs PostgreSQL (KEE_DATABASE_URL=postgres://…)` },
  );
  reqs.push(
    f.signer === 'frost-sidecars'
      ? { requirement: 'signer_sidecars', level: 'KEE1-L2', met: true }
      : { requirement: 'signer_sidecars', level: 'KEE1-L2', met: false, reason: f.signer === 'ed25519' ? 'the kernel key is a single in-process Ed25519 key; KEE1-L2 needs FROST shares in signer sidecars (KEE_FROST_PARTICIPANTS)' : 'the FROST shares are held in the kernel process; KEE1-L2 needs signer sidecars (KEE_FROST_PARTICIPANTS)' },
  );
  if (f.signer !== 'frost-sidecars') reqs.push({ requirement: 'tee_attestation', level: 'KEE1-L2', met: false, reason: 'no signer sidecar to attest' });
  else {
    const bad = f.attestations.filter((a) => a.status !== 'verified' || a.chain !== 'verified');
    if (f.attestations.length > 0 && bad.length === 0) reqs.push({ requirement: 'tee_attestation', level: 'KEE1-L2', met: true });
    else {
      const why = bad.map((a) => `participant ${a.participant}: ${a.status === 'verified' ? 'the vendor signature chain was not checked (no TEE root certificates configured: KEE_TEE_ROOTS)' : (a.reason ?? a.status)}`);
      reqs.push({ requirement: 'tee_attestation', level: 'KEE1-L2', met: false, reason: why.length > 0 ? why.join('; ') : 'no attestation evidence' });
    }
  }
  for (const r of f.extra ?? []) reqs.push({ ...r });
  const l2 = reqs.filter((r) => r.level === 'KEE1-L2' || r.level === 'KEE1-L1').every((r) => r.met);
  return { level: l2 ? 'KEE1-L2' : 'KEE1-L1', requirements: reqs };
}

/** The unmet requirements, as served beside the level. */
export function unmet(c: Conformance): { requirement: string; level: ConformanceLevel; reason: string }[] {
  return c.requirements.filter((r) => !r.met).map((r) => ({ requirement: r.requirement, level: r.level, reason: r.reason ?? 'not met' }));
}
