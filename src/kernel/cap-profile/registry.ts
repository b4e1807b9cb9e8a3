import type { PolicyInspector, JwsVerifier } from '../../ports/cap-profile.ts';
import type { ActivePolicySet, PolicyEngine } from '../../ports/policy.ts';
import type { Clock } from '../../ports/clock.ts';
import { DomainError } from '../errors.ts';
import type { Json } from '../types.ts';
import type { CapProfileBody } from './cap-profile.ts';
import { refuse, SPEC_EVENT, type CapProfileRefusal } from './refusal.ts';
import type { PublisherKey } from './signatures.ts';
import type { DeploymentConformance } from './conformance.ts';
import { publisherKeySet, verifyCapProfileUpdate, type ActiveProfileFacts, type VerifiedCapProfile } from './verify-update.ts';

/** What the kernel needs to accept signed CAP Profile updates (P4), supplied by the entry. */
export type CapProfileDeps = {
  /** Exactly three distinct raw Ed25519 publisher public keys, configured at init. */
  publisherKeys: Uint8Array[];
  jws: JwsVerifier;
  inspector: PolicyInspector;
};

/** The active profile as `GET /v1/cap-profile` shows it. */
export type ActiveCapProfile = {
  cap_profile_id: string;
  /** 0 for the built-in profile the kernel starts with (unsigned). */
  version: number;
  cap_profile_hash: string | null;
  cedar_policy_hash: string;
  effective_date: string | null;
  profile_kind: CapProfileBody['profile_kind'] | null;
  catalog_version: CapProfileBody['catalog_version'] | null;
  policy_ids: string[];
  tiers: Record<string, string>;
  publishers: string[];
  /** null for the built-in profile (active since start). */
  activated_at: string | null;
  signed: boolean;
};

/** The answer to an accepted update. */
export type CapProfileAccepted = { cap_profile_id: string; version: number; cap_profile_hash: string; cedar_policy_hash: string; activated_at: string };

/**
 * Holds the active CAP Profile's facts and the configured publishers; verifies updates
 * against them. The kernel records and activates (see `Kernel.submitCapProfile`).
 */
export class CapProfileRegistry {
  private readonly deps: CapProfileDeps | undefined;
  private keys: PublisherKey[] | null = null;
  private current: ActiveCapProfile;

  private readonly conformance: DeploymentConformance | undefined;

  constructor(deps: CapProfileDeps | undefined, initial: ActivePolicySet, conformance?: DeploymentConformance) {
    this.deps = deps;
    this.conformance = conformance;
    this.current = {
      cap_profile_id: initial.capProfileId,
      version: 0,
      cap_profile_hash: null,
      cedar_policy_hash: initial.cedarPolicyHash,
      effective_date: null,
      profile_kind: null,
      catalog_version: null,
      policy_ids: initial.policyIds,
      tiers: initial.tiers,
      publishers: [],
      activated_at: null,
      signed: false,
    };
  }

  active(): ActiveCapProfile {
    return this.current;
  }

  /** Runs every P4 check against the active profile; throws UNAVAILABLE when updates are not configured. */
  async verify(jws: unknown, clock: Clock): Promise<VerifiedCapProfile | CapProfileRefusal> {
    const deps = this.requireDeps();
    this.keys ??= await publisherKeySet(deps.publisherKeys);
    const facts: ActiveProfileFacts = {
      capProfileId: this.current.cap_profile_id,
      version: this.current.version,
      catalogVersionId: this.current.catalog_version?.version_id ?? null,
      effectiveDate: this.current.effective_date,
    };
    return verifyCapProfileUpdate(jws, { publisherKeys: this.keys, jws: deps.jws, active: facts, inspectPolicies: (t) => deps.inspector.inspect(t), now: () => clock.nowIso(), ...(this.conformance ? { conformance: this.conformance } : {}) });
  }

  /** The verified profile is now the active one. */
  commit(verified: VerifiedCapProfile, info: ActivePolicySet, activatedAt: string): ActiveCapProfile {
    const b = verified.body;
    this.current = {
      cap_profile_id: b.cap_profile_id,
      version: b.version,
      cap_profile_hash: verified.cap_profile_hash,
      cedar_policy_hash: info.cedarPolicyHash,
      effective_date: b.effective_date,
      profile_kind: b.profile_kind,
      catalog_version: b.catalog_version,
      policy_ids: info.policyIds,
      tiers: info.tiers,
      publishers: verified.publishers,
      activated_at: activatedAt,
      signed: true,
    };
    return this.current;
  }

  private requireDeps(): CapProfileDeps {
    if (!this.deps) throw new DomainError('UNAVAILABLE', 'cap profile updates are not configured on this kernel (no publisher keys)');
    return this.deps;
  }
}

/** Audit fields of a `CAP_PROFILE_REFUSED` record. */
export function refusalFields(r: CapProfileRefusal): Record<string, Json> {
  const spec = SPEC_EVENT[r.code];
  return { code: r.code, reason: r.reason, detail: r.detail, spec_event: spec.name, spec_ale: spec.ale, 'soos.cap.conflict_detected': r.code === 'CAP_CONFLICT' };
}
