/** `AgentProofVerifier` over `jose`: client assertions and DPoP proofs, EdDSA (Ed25519) only. */
import { sha256 } from '@noble/hashes/sha2.js';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
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

/** `ath` values of the tokens seen, by token text. */
const tokenHashes = new Map<string, string>();

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
