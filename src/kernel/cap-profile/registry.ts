import type { PolicyEngineLoader, PolicyInspector, JwsVerifier } from '../../ports/cap-profile.ts';
import type { ActivePolicySet, PolicyEngine } from '../../ports/policy.ts';
import type { Clock } from '../../ports/clock.ts';
import { DomainError } from '../errors.ts';
import type { Json } from '../types.ts';
import type { CapProfileBody } from './cap-profile.ts';
import { refuse, SPEC_EVENT, type CapProfileRefusal } from './refusal.ts';
import type { PublisherKey } from './signatures.ts';
import { publisherKeySet, verifyCapProfileUpdate, type ActiveProfileFacts, type VerifiedCapProfile } from './verify-update.ts';

/** What the kernel needs to accept signed CAP Profile updates (P4), supplied by the entry. */
export type CapProfileDeps = {
  /** Exactly three distinct raw Ed25519 publisher public keys, configured at init. */
  publisherKeys: Uint8Array[];
  jws: JwsVerifier;
  inspector: PolicyInspector;
  /** Builds the serving engine for a verified profile (the same kind as `KernelDeps.policy`). */
  loadEngine: PolicyEngineLoader;
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
  /** Highest version being activated (between its record and its swap): concurrent updates race on it. */
  private reserved = 0;

  constructor(deps: CapProfileDeps | undefined, initial: ActivePolicySet) {
    this.deps = deps;
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
      version: Math.max(this.current.version, this.reserved),
      catalogVersionId: this.current.catalog_version?.version_id ?? null,
      effectiveDate: this.current.effective_date,
    };
    return verifyCapProfileUpdate(jws, { publisherKeys: this.keys, jws: deps.jws, active: facts, inspectPolicies: (t) => deps.inspector.inspect(t), now: () => clock.nowIso() });
  }

  /** Builds the engine for a verified profile; a set the serving engine refuses is a refusal. */
  load(verified: VerifiedCapProfile): PolicyEngine | CapProfileRefusal {
    try {
      return this.requireDeps().loadEngine({ capProfileId: verified.body.cap_profile_id, policies: verified.policies });
    } catch (e) {
      return refuse('CAP_POLICY_INVALID', `the serving policy engine refuses the set: ${e instanceof Error ? e.message : String(e)}`, {
        cap_profile_id: verified.body.cap_profile_id,
        version: verified.body.version,
      });
    }
  }

  /** Claims the version before the activation record is written; false if a concurrent update got there first. */
  reserve(version: number): boolean {
    if (version <= Math.max(this.current.version, this.reserved)) return false;
    this.reserved = version;
    return true;
  }

  /** Gives up a reservation whose record could not be written. */
  release(version: number): void {
    if (this.reserved === version) this.reserved = this.current.version;
  }

  /** The verified profile is now the active one. */
  commit(verified: VerifiedCapProfile, engine: PolicyEngine, activatedAt: string): ActiveCapProfile {
    const b = verified.body;
    const info = engine.active();
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

/** Audit fields of a `CAP_CATALOG_ACTIVATED` record (ALE-DIST-04). */
export function activationFields(v: VerifiedCapProfile): Record<string, Json> {
  return {
    cap_profile_id: v.body.cap_profile_id,
    version: v.body.version,
    cap_profile_hash: v.cap_profile_hash,
    cedar_policy_hash: v.cedar_policy_hash,
    effective_date: v.body.effective_date,
    profile_kind: v.body.profile_kind,
    catalog_version: v.body.catalog_version as unknown as Json,
    publishers: v.publishers,
    unknown_kids: v.unknown_kids,
    policy_ids: v.policy_ids,
    spec_ale: 'ALE-DIST-04',
  };
}
