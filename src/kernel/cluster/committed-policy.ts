import { DomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';

/** The etcd key holding the cluster's committed CAP Profile (one key: its mod revision orders the versions). */
export const POLICY_KEY = 'kee/policy/committed';

/**
 * The committed value: the signed CAP Profile exactly as accepted (JWS JSON general
 * serialization) with the facts that name it. Every instance re-verifies `jws` itself before
 * applying it; the other fields are never trusted on their own.
 */
export type CommittedPolicy = { version: number; cap_profile_id: string; cap_profile_hash: string; jws: Json };

export function encodeCommitted(c: CommittedPolicy): string {
  return canonicalJson(c as unknown as Json);
}

/** Parses a committed value; INVALID_INPUT when it is not one (a forged or corrupted write). */
export function decodeCommitted(text: string): CommittedPolicy {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new DomainError('INVALID_INPUT', 'the committed policy value is not JSON');
  }
  const o = v as Partial<CommittedPolicy> | null;
  if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.version) || (o.version ?? 0) < 1 || typeof o.cap_profile_id !== 'string' || typeof o.cap_profile_hash !== 'string' || typeof o.jws !== 'object' || o.jws === null) {
    throw new DomainError('INVALID_INPUT', 'the committed policy value lacks `version`, `cap_profile_id`, `cap_profile_hash` or `jws`');
  }
  return o as CommittedPolicy;
}
