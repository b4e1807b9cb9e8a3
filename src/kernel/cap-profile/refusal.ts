import type { Json } from '../types.ts';

/** Stable codes of a refused CAP Profile update, in the order the checks run. */
export const CAP_REFUSAL_CODES = [
  'CAP_SIGNATURES_INSUFFICIENT',
  'CAP_PROFILE_MALFORMED',
  'CAP_POLICY_INVALID',
  'CAP_ANNOTATION_INVALID',
  'CAP_POLICY_HASH_MISMATCH',
  'CAP_ROLLBACK',
  'CAP_CATALOG_VERSION_CONFLICT',
  'CAP_NOT_YET_EFFECTIVE',
  'CAP_CONFLICT',
  'CAP_AUTHORITY_SOURCE_MISSING',
  'CAP_AUTHORITY_SOURCE_UNOFFICIAL',
  'CAP_CONFORMANCE_LEVEL',
] as const;

export type CapRefusalCode = (typeof CAP_REFUSAL_CODES)[number];

/** Why an update was refused: recorded as a `CAP_PROFILE_REFUSED` event, then answered. */
export type CapProfileRefusal = {
  refused: true;
  code: CapRefusalCode;
  /** One human sentence (lowercase, no full stop, input in backticks). */
  reason: string;
  detail: Record<string, Json>;
};

/**
 * The drafts' event for each refusal (digest choice 5.14: records are keyed by the symbolic
 * `ale_type` `CAP_PROFILE_REFUSED`; the draft name and number travel as metadata).
 */
export const SPEC_EVENT: Record<CapRefusalCode, { name: string; ale: string }> = {
  CAP_SIGNATURES_INSUFFICIENT: { name: 'CAP_CATALOG_REJECTED_INVALID_PUBLISHER_KEY', ale: 'ALE-DIST-02' },
  CAP_PROFILE_MALFORMED: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_POLICY_INVALID: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_ANNOTATION_INVALID: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_POLICY_HASH_MISMATCH: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_ROLLBACK: { name: 'CAP_CATALOG_ROLLBACK_ATTEMPT', ale: 'ALE-DIST-03' },
  CAP_CATALOG_VERSION_CONFLICT: { name: 'CATALOG_VERSION_CONFLICT', ale: 'ALE-NEW-03' },
  CAP_NOT_YET_EFFECTIVE: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_CONFLICT: { name: 'CAP_CATALOG_CONFLICT_DETECTED', ale: 'ALE-NEW-02' },
  CAP_AUTHORITY_SOURCE_MISSING: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_AUTHORITY_SOURCE_UNOFFICIAL: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
  CAP_CONFORMANCE_LEVEL: { name: 'CAP_CATALOG_REJECTED', ale: 'ALE-DIST-02' },
};

export function refuse(code: CapRefusalCode, reason: string, detail: Record<string, Json> = {}): CapProfileRefusal {
  return { refused: true, code, reason, detail };
}
