/** `AgentProofVerifier` over `jose`: client assertions and DPoP proofs, EdDSA (Ed25519) only. */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url as joseBase64url, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { AgentProofVerifier, AgentPublicJwk } from '../../ports/agent-proof.ts';
import type { Ed25519Native } from '../../ports/token-signer.ts';
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

/** `ath` values of the tokens seen, by token text. */
const tokenHashes = new Map<string, string>();

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextEncoder();
const B64URL = /^[A-Za-z0-9_-]+$/;
const DPOP_HEADER_MEMBERS = new Set(['alg', 'typ', 'jwk']);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** base64url text as jose decodes it, then JSON; undefined when either step fails. */
function jsonSegment(segment: string): unknown {
  try {
    return JSON.parse(fatalUtf8.decode(joseBase64url.decode(segment)));
  } catch {
    return undefined;
  }
}

/** The runtime's verifier of each agent key, by `x` (bounded like `keys`). */
const nativeVerifiers = new Map<string, (signature: Uint8Array, message: Uint8Array) => boolean | Promise<boolean>>();

/**
 * The usual DPoP proof checked with the runtime's synchronous Ed25519: a compact JWS whose
 * protected header holds exactly `alg` `EdDSA`, `typ` `dpop+jwt` and an Ed25519 `jwk`, and whose
 * claims are a JSON object with a numeric `iat` and no `exp`/`nbf`. Its result (claims, or null
 * when the signature does not verify) is the one `jwtVerify` gives for it: same signing input,
 * same key, and for such a proof `jwtVerify`'s other checks all pass. Anything else is undefined:
 * the caller then runs `jose` itself, so every unusual proof gets exactly `jose`'s answer.
 */
async function nativeDpop(proof: string, native: Ed25519Native): Promise<{ claims: Record<string, unknown>; jkt: string } | null | undefined> {
  const parts = proof.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s) || s.length !== 86) return undefined;
  const header = jsonSegment(h);
  if (!isPlainObject(header) || header.alg !== 'EdDSA' || header.typ !== 'dpop+jwt' || Object.keys(header).some((k) => !DPOP_HEADER_MEMBERS.has(k))) return undefined;
  const jwk = header.jwk;
  if (!isPlainObject(jwk) || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk || typeof jwk.x !== 'string' || !B64URL.test(jwk.x) || jwk.x.length !== 43) return undefined;
  const claims = jsonSegment(p);
  if (!isPlainObject(claims) || typeof claims.iat !== 'number' || 'exp' in claims || 'nbf' in claims) return undefined;
  const x = jwk.x;
  try {
    let check = nativeVerifiers.get(x);
    if (!check) {
      check = native.verifier(joseBase64url.decode(x));
      if (nativeVerifiers.size >= MAX_KEYS) nativeVerifiers.clear();
      nativeVerifiers.set(x, check);
    }
    if (!(await check(joseBase64url.decode(s), ascii.encode(`${h}.${p}`)))) return null;
    return { claims, jkt: (await agentKey(x)).jkt };
  } catch {
    return null; // a key the runtime cannot use (as jose's import or verify failing)
  }
}

/**
 * The agent proof verifier. `native`: check the usual DPoP proof with the runtime's synchronous
 * Ed25519 (`nativeDpop`), everything else with `jose`.
 */
export function agentProofs(native?: Ed25519Native): AgentProofVerifier {
  if (!native) return joseAgentProofs;
  return {
    ...joseAgentProofs,
    async verifyDpop(proof: string) {
      const fast = await nativeDpop(proof, native);
      return fast === undefined ? joseAgentProofs.verifyDpop(proof) : fast;
    },
  };
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
    } catch {
      return null;
    }
  },

  async verifyDpop(proof: string) {
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
