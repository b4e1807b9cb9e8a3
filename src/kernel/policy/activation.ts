import type { ActivePolicySet, PolicyEngine, PolicyLink } from '../../ports/policy.ts';
import type { StoredDocument } from '../../ports/storage.ts';
import { DomainError } from '../errors.ts';
import type { Json } from '../types.ts';

/** A policy set to activate: a verified CAP Profile's policies, its monotone version and, when it is to be kept, its signed text. */
export type PolicyCandidate = {
  capProfileId: string;
  /** Strictly greater than the active version (the built-in profile is 0). */
  version: number;
  policies: string;
  links?: PolicyLink[];
  schema?: string;
  /** SHA-256(JCS(profile body)), digest choice 5.5; absent for unsigned sets. */
  capProfileHash?: string;
  /** The profile's `record_subjects`: `digest` keeps raw principal and resource ids out of decision records. Default `raw`. */
  recordSubjects?: 'raw' | 'digest';
  /** The signed profile as accepted, stored (kind `cap_profile`) with the activation and re-verified at start. */
  document?: { docId: string; body: string };
  /** Facts of the verification (publishers, catalog version …) added to the `CAP_CATALOG_ACTIVATED` record. */
  recordFields?: Record<string, Json>;
};

export type PolicyActivation = { capProfileId: string; version: number; cedarPolicyHash: string; policyIds: string[]; activatedAt: string };

/** What a manifest epoch (digest choice 5.6) is built from: the set about to become active. */
export type PolicyEpoch = ActivePolicySet & { version: number; capProfileHash?: string };

/**
 * Prepares an epoch before the swap (e.g. builds, signs and stores the next GEC Manifest) and
 * returns its commit, which runs synchronously with the swap. A rejected prepare aborts the
 * activation: nothing is swapped.
 */
export type EpochHook = (next: PolicyEpoch) => Promise<() => void>;

/** Re-verifies the latest stored CAP Profile at start (the entry's signature check) and returns it as a candidate. */
export type CapProfileReloader = (doc: StoredDocument) => Promise<PolicyCandidate>;

/** The serving set. Read once per decision; replaced whole, never mutated. */
export type LivePolicy = {
  readonly engine: PolicyEngine;
  /** The engine's description, taken once at load: a decision never calls back into the engine for it. */
  readonly info: ActivePolicySet;
  readonly version: number;
  readonly capProfileHash: string | null;
  readonly activatedAt: string | null;
  /** `digest`: decision records carry `subject_digest` instead of raw principal and resource ids (absent: `raw`). */
  readonly recordSubjects?: 'raw' | 'digest';
};

/** `GET /v1/cap-profile/policies`: the serving set's text and the facts that name it. */
export type ActivePolicyText = {
  cap_profile_id: string;
  version: number;
  cap_profile_hash: string | null;
  cedar_policy_hash: string;
  policy_ids: string[];
  policies: string;
  schema: string | null;
  links?: PolicyLink[];
};

/** Throws INVALID_INPUT unless the candidate is well-formed. */
export function checkCandidate(c: PolicyCandidate): void {
  const bad = (what: string) => new DomainError('INVALID_INPUT', `policy candidate: ${what}`);
  if (typeof c.capProfileId !== 'string' || c.capProfileId.length === 0) throw bad('`capProfileId` must be a non-empty string');
  if (!Number.isSafeInteger(c.version) || c.version < 1) throw bad(`\`version\` must be a positive integer, got \`${String(c.version)}\``);
  if (typeof c.policies !== 'string') throw bad('`policies` must be Cedar text');
  if (c.document && (typeof c.document.docId !== 'string' || typeof c.document.body !== 'string')) throw bad('`document` needs a `docId` and a `body`');
}

/** `CAP_CATALOG_ACTIVATED` (ALE-DIST-04, digest choice 5.14): old and new versions and hashes. */
export function activationFields(
  previous: LivePolicy,
  next: LivePolicy,
  extra: { trigger: 'update' | 'restart'; documentSeq: number | null; docId: string | null },
): Record<string, Json> {
  return {
    ale_number: 'ALE-DIST-04',
    trigger: extra.trigger,
    cap_profile_id: next.info.capProfileId,
    cap_profile_version: next.version,
    cap_profile_hash: next.capProfileHash,
    cedar_policy_hash: next.info.cedarPolicyHash,
    policy_ids: next.info.policyIds,
    previous_cap_profile_id: previous.info.capProfileId,
    previous_cap_profile_version: previous.version,
    previous_cap_profile_hash: previous.capProfileHash,
    previous_cedar_policy_hash: previous.info.cedarPolicyHash,
    document_seq: extra.documentSeq,
    doc_id: extra.docId,
    activated_at: next.activatedAt,
  };
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
