/**
 * The intent-bound credential (issue 14, digest §2.12 / §4.3): what every PERMIT answer carries.
 * A compact JWS (EdDSA) by the kernel token key, valid for exactly 60 seconds, bound to the
 * request it answers by a BLAKE2b-256 fingerprint that the resource provider recomputes from the
 * request it actually receives (`src/verifier/`).
 */
import type { IntentHasher } from '../../ports/token-signer.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { AuthorizationRequest } from '../types.ts';

/** JOSE `typ` of a credential (RFC 8725 §3.11: explicit typing). */
export const CREDENTIAL_TYP = 'kee-credential+jwt';
/** A credential lives exactly this long: `exp` = `iat` + 60, `nbf` = `iat`. */
export const CREDENTIAL_TTL_SECONDS = 60;

/** The claims of a credential, in the order they are signed. */
export type CredentialClaims = {
  iss: string;
  /** The session agent's XPID (digest §4.3 family 2). */
  sub: string;
  /** The resource provider, when the request named an `audience`. */
  aud?: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  /** Lowercase hex BLAKE2b-256 of the JCS of `{principal, action, resource, context}`. */
  intent: string;
  ale_seq: number;
  block_id: string;
  cedar_policy_hash: string;
  /** The signed CAP Profile's hash; null under the built-in profile. */
  cap_profile_hash: string | null;
  /** RFC 7800 confirmation: the RFC 7638 thumbprint of the agent key of an authenticated session. */
  cnf?: { jkt: string };
};

/**
 * The intent fingerprint of a request: lowercase hex BLAKE2b-256 (32-byte digest) of the RFC
 * 8785 JCS of `{principal, action, resource, context}` exactly as received (entities and
 * audience are not part of it).
 */
export function intentFingerprint(hasher: IntentHasher, request: Pick<AuthorizationRequest, 'principal' | 'action' | 'resource' | 'context'>): string {
  const { principal, action, resource, context } = request;
  return intentFingerprintOf(hasher, canonicalJson({ principal, action, resource, context }));
}

const utf8 = new TextEncoder();

/** The intent fingerprint of the canonical JSON (JCS) of `{principal, action, resource, context}`. */
export function intentFingerprintOf(hasher: IntentHasher, canonical: string): string {
  return toHex(hasher.blake2b256(utf8.encode(canonical)));
}
