/**
 * The ACD Record (ACD-01 §6 + ACD-02 `aep_session_id`, KEE1 digest 3.2): one flat JSON object
 * whose members fall in three layers (legal identity, constitutional compliance, principal and
 * redress). `gec_signature` is a detached JWS (RFC 7515 Appendix F, EdDSA, KIA key) over the
 * RFC 8785 JCS of every other member. Members are named exactly as the digest names them.
 */

/** Media type of an ACD Record answer (`GET /.well-known/soos-acd`). */
export const ACD_MEDIA_TYPE = 'application/soos-acd+json';
/** `typ` of the detached JWS in `gec_signature`. */
export const ACD_JWS_TYP = 'soos-acd+jws';
/** The registered-agent role that makes an agent a resource provider (it may ask for ACD Records). */
export const RESOURCE_PROVIDER_ROLE = 'resource_provider';
/** Default and largest `acd_validity_not_after - acd_validity_not_before` (ACD: 24 h default, 30 days max). */
export const ACD_VALIDITY_DEFAULT_SECONDS = 86_400;
export const ACD_VALIDITY_MAX_SECONDS = 30 * 86_400;
/** KIA §6.4(c) recommended maximum manifest age for Check 1; configurable lower only. */
export const MANIFEST_STALENESS_MAX_SECONDS = 86_400;

export type Jurisdiction = { jurisdiction_code: string; regulatory_regime: string[]; ptd_endpoint: string | null };
export type LiabilityScope = 'OPERATOR' | 'DEPLOYER' | 'PRINCIPAL_HIERARCHY';
export type HemStatus = 'ACTIVE' | 'SUSPENDED' | 'ESCALATION_IN_PROGRESS';
export type TierSummary = { tier_0a: number; tier_0b: number; tier_1: number; tier_2: number };
/** One enforced control: its CAP-RRS id, the Cedar policy that enforces it, its tier and statute. */
export type AcdControl = { cap_rrs_control_id: string; cedar_policy_id: string; tier: string | null; authority_source_uri: string | null };

/** Layer 1: legal identity. */
export type AcdLayer1 = {
  acd_session_id: string;
  /** `urn:soos:xpid:uuid:<agent XPID>` (choice 5.27). */
  agent_xpid: string;
  governing_law: string | null;
  /** ISO 3166-1 alpha-2. */
  primary_jurisdiction: string | null;
  jurisdictions: Jurisdiction[];
  terms_of_use_uri: string | null;
  liability_scope: LiabilityScope;
  acd_validity_not_before: string;
  acd_validity_not_after: string;
};

/** Layer 2: constitutional compliance. */
export type AcdLayer2 = {
  cap_profile_id: string;
  /** SHA-256(JCS(signed CAP Profile body)) (choice 5.5); null for the built-in unsigned profile. */
  cap_profile_hash: string | null;
  prohibition_tier_summary: TierSummary;
  /**
   * The CAP-RRS controls the serving policy set enforces (KEE-1 Appendix A step 15: the provider
   * checks for a named control, not only tier counts): one entry per policy carrying
   * `@cap_rrs_control_id`, sorted by control id then policy id. Empty for a set without controls.
   */
  cap_rrs_controls: AcdControl[];
  /** `urn:soos:gec-manifest:<kernel_id>:<manifest hash-lock>`: the manifest in force. */
  gec_manifest_ref: string;
  /** Computed for this record from the serving set (Check 2), never cached. */
  cedar_policy_hash: string;
  cap_enforcement_attestation: string | null;
  hem_status: HemStatus;
  ptd_endpoint: string | null;
};

/** Layer 3: principal and redress (`gec_signature` included). */
export type AcdLayer3 = {
  operator_id: string | null;
  deployer_id: string | null;
  principal_hierarchy_summary: { agent_id: string; parents: { type: string; id: string }[] };
  redress_uri: string | null;
  human_escalation_path: 'AVAILABLE' | 'NOT_AVAILABLE';
  gar_audit_endpoint: string | null;
  gar_sar_ref: string | null;
  acd_timestamp: string;
  delegation_chain_depth: number;
  parent_kernel_id: string | null;
  mandate_scope_type: 'FULL' | 'SLICE';
  /** The session token `jti` of the AEP session (the live mandate); null under KEE_AUTH=none. */
  mjwt_jti: string | null;
  /** ACD-02: the record is valid inside this AEP session only. */
  aep_session_id: string;
};

export type AcdRecordBody = AcdLayer1 & AcdLayer2 & AcdLayer3;
export type AcdRecord = AcdRecordBody & { gec_signature: string };

/** Which layer each member belongs to (a provider's `failed_layer`): exactly the record's members, the contract of digest 3.2. */
export const LAYER_OF: Readonly<Record<keyof AcdRecord, 1 | 2 | 3>> = {
  acd_session_id: 1, agent_xpid: 1, governing_law: 1, primary_jurisdiction: 1, jurisdictions: 1, terms_of_use_uri: 1, liability_scope: 1, acd_validity_not_before: 1, acd_validity_not_after: 1,
  cap_profile_id: 2, cap_profile_hash: 2, prohibition_tier_summary: 2, cap_rrs_controls: 2, gec_manifest_ref: 2, cedar_policy_hash: 2, cap_enforcement_attestation: 2, hem_status: 2, ptd_endpoint: 2,
  operator_id: 3, deployer_id: 3, principal_hierarchy_summary: 3, redress_uri: 3, human_escalation_path: 3, gar_audit_endpoint: 3, gar_sar_ref: 3, acd_timestamp: 3, gec_signature: 3,
  delegation_chain_depth: 3, parent_kernel_id: 3, mandate_scope_type: 3, mjwt_jti: 3, aep_session_id: 3,
};

/**
 * What the operator declares for its records (`KEE_ACD_PROFILE`, docs/acd.md): the Layer 1 and
 * Layer 3 facts the kernel cannot know. Unset members are null; a provider refuses a record
 * whose `operator_id` is null (validation 6).
 */
export type AcdProfile = {
  operator_id?: string | null;
  deployer_id?: string | null;
  governing_law?: string | null;
  primary_jurisdiction?: string | null;
  jurisdictions?: Jurisdiction[];
  terms_of_use_uri?: string | null;
  liability_scope?: LiabilityScope;
  redress_uri?: string | null;
  human_escalation_path?: 'AVAILABLE' | 'NOT_AVAILABLE';
  hem_status?: HemStatus;
  gar_audit_endpoint?: string | null;
  cap_enforcement_attestation?: string | null;
  ptd_endpoint?: string | null;
};

/** ACD options of a kernel (KernelDeps.options.acd). */
export type AcdOptions = {
  /** Check 1 staleness window in seconds (default and maximum 86,400). */
  manifestMaxAgeSeconds?: number;
  /** Record validity in seconds (default 86,400, at most 30 days). */
  validitySeconds?: number;
  profile?: AcdProfile;
};

/** Counts of the serving set's policies per `@tier` (0-A, 0-B, 1, 2). */
export function tierSummary(tiers: Readonly<Record<string, string>>): TierSummary {
  const out: TierSummary = { tier_0a: 0, tier_0b: 0, tier_1: 0, tier_2: 0 };
  for (const t of Object.values(tiers)) {
    const key = ({ '0-A': 'tier_0a', '0-B': 'tier_0b', '1': 'tier_1', '2': 'tier_2' } as const)[t.toUpperCase() as '0-A'];
    if (key) out[key] += 1;
  }
  return out;
}
