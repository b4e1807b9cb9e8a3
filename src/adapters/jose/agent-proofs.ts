/** `AgentProofVerifier` over `jose`: client assertions and DPoP proofs, EdDSA (Ed25519) only. */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url as joseBase64url, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify } from 'jose';
import type { AgentProofVerifier, AgentPublicJwk } from '../../ports/agent-proof.ts';
import { base64url } from './jws.ts';

const ALGORITHMS = ['EdDSA', 'Ed25519'];
const MAX_KEYS = 1024;

/**
 * Agent keys imported, with their RFC 7638 thumbprint, by `x`: an agent proves the same key on
 * every call of its sessions, so neither the import nor the thumbprint is redone per call
 * (bounded: cleared when full).
 */
const keys = new Map<string, { key: CryptoKey; jkt: string }>();

async function agentKey(x: string): Promise<{ key: CryptoKey; jkt: string }> {
  const known = keys.get(x);
  if (known) return known;
  const entry = { key: (await importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA')) as CryptoKey, jkt: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256') };
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(x, entry);
  return entry;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextEncoder();
/** The WebCrypto algorithm, as `jose` names it for EdDSA. */
const ED25519 = { name: 'Ed25519' };
const B64URL = /^[A-Za-z0-9_-]+$/;
const DPOP_HEADER_MEMBERS = new Set(['alg', 'typ', 'jwk']);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** base64url text as jose decodes it, then JSON (strict UTF-8, as jose); undefined when either step fails. */
function jsonSegment(segment: string): unknown {
  try {
    return JSON.parse(fatalUtf8.decode(joseBase64url.decode(segment)));
  } catch {
    return undefined;
  }
}

/**
 * The `x` of the usual proof header's key, by the header's exact base64url text: an agent signs
 * every proof of a key under the same header, so it is decoded and checked once (bounded: only
 * usual headers are kept, cleared when full). Undefined for any other header.
 */
const usualHeaders = new Map<string, string>();

function usualHeaderKey(h: string): string | undefined {
  const known = usualHeaders.get(h);
  if (known !== undefined) return known;
  if (!B64URL.test(h)) return undefined;
  const header = jsonSegment(h);
  if (!isPlainObject(header) || header.alg !== 'EdDSA' || header.typ !== 'dpop+jwt' || Object.keys(header).some((k) => !DPOP_HEADER_MEMBERS.has(k))) return undefined;
  const jwk = header.jwk;
  if (!isPlainObject(jwk) || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk || typeof jwk.x !== 'string' || !B64URL.test(jwk.x) || jwk.x.length !== 43) return undefined;
  if (usualHeaders.size >= MAX_KEYS) usualHeaders.clear();
  usualHeaders.set(h, jwk.x);
  return jwk.x;
}

/**
 * The usual DPoP proof checked with one WebCrypto `verify` and none of `jwtVerify`'s generic
 * work: a compact JWS whose protected header holds exactly `alg` `EdDSA`, `typ` `dpop+jwt` and an
 * Ed25519 `jwk`, and whose claims are a JSON object with a numeric `iat` and no `exp`/`nbf`. For
 * such a proof `jwtVerify`'s other checks all pass, and the signature check is the one it makes
 * (same signing input, same cached key, same `crypto.subtle.verify`, still off the event loop
 * where the runtime runs WebCrypto on a thread pool), so the answer is `jwtVerify`'s: the claims,
 * or null. Anything else is undefined: the caller then runs `jose` itself, so every unusual proof
 * gets exactly `jose`'s answer.
 */
export async function usualDpop(proof: string): Promise<{ claims: Record<string, unknown>; jkt: string } | null | undefined> {
  const parts = proof.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(p) || !B64URL.test(s) || s.length !== 86) return undefined;
  const x = usualHeaderKey(h);
  if (x === undefined) return undefined;
  const claims = jsonSegment(p);
  if (!isPlainObject(claims) || typeof claims.iat !== 'number' || 'exp' in claims || 'nbf' in claims) return undefined;
  try {
    const { key, jkt } = await agentKey(x);
    return (await crypto.subtle.verify(ED25519, key, joseBase64url.decode(s) as Uint8Array<ArrayBuffer>, ascii.encode(`${h}.${p}`))) ? { claims, jkt } : null;
  } catch {
    return null; // a key WebCrypto cannot import or use: jose's import or verify fails the same way
  }
}

/**
 * The claims of a JWT whose signature verified but whose `exp` or `iat` is not a number (jose
 * checks the claims only after the signature): the kernel's own rules refuse it, saying which
 * claim is wrong, rather than "not signed by a registered key". Null for any other failure.
 */
function signedWithBadTime(e: unknown): Record<string, unknown> | null {
  return e instanceof errors.JWTClaimValidationFailed && e.reason === 'invalid' && (e.claim === 'exp' || e.claim === 'iat') ? (e.payload as Record<string, unknown>) : null;
}

/** `ath` values of the tokens seen, by token text. */
const tokenHashes = new Map<string, string>();

/** A DPoP proof checked by `jose`'s `jwtVerify` (every proof `usualDpop` leaves to it). */
async function joseDpop(proof: string): Promise<{ claims: Record<string, unknown>; jkt: string } | null> {
  try {
    // the kernel applies its own clock to `iat`: no time check here
    const jwk = decodeProtectedHeader(proof).jwk;
    if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk || typeof jwk.x !== 'string') return null;
    const { key, jkt } = await agentKey(jwk.x);
    const { payload } = await jwtVerify(proof, key, { algorithms: ALGORITHMS, typ: 'dpop+jwt', clockTolerance: Number.MAX_SAFE_INTEGER });
    return { claims: payload as Record<string, unknown>, jkt };
  } catch {
    return null;
  }
}

export const joseAgentProofs: AgentProofVerifier = {
  unverifiedClaims(token) {
    try {
      return decodeJwt(token) as Record<string, unknown>;
    } catch {
      return null;
    }
  },

  async verify(token: string, key: AgentPublicJwk, typ?: string) {
    try {
      const { payload } = await jwtVerify(token, (await agentKey(key.x)).key, { algorithms: ALGORITHMS, ...(typ ? { typ } : {}), clockTolerance: Number.MAX_SAFE_INTEGER });
      return payload as Record<string, unknown>;
    } catch (e) {
      return signedWithBadTime(e);
    }
  },

  async verifyDpop(proof: string) {
    const usual = await usualDpop(proof);
    return usual !== undefined ? usual : joseDpop(proof);
  },

  accessTokenHash(token: string) {
    // a session token comes back with every call of its session: hashed once (bounded)
    let hash = tokenHashes.get(token);
    if (hash === undefined) {
      hash = base64url(sha256(new TextEncoder().encode(token)));
      if (tokenHashes.size >= MAX_KEYS * 4) tokenHashes.clear();
      tokenHashes.set(token, hash);
    }
    return hash;
  },
};
