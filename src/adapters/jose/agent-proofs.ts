/** `AgentProofVerifier` over `jose`: client assertions and DPoP proofs, EdDSA (Ed25519) only. */
import { sha256 } from '@noble/hashes/sha2.js';
import { calculateJwkThumbprint, decodeJwt, EmbeddedJWK, importJWK, jwtVerify } from 'jose';
import type { AgentProofVerifier, AgentPublicJwk } from '../../ports/agent-proof.ts';
import { base64url } from './jws.ts';

const ALGORITHMS = ['EdDSA', 'Ed25519'];

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
      const k = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: key.x }, 'EdDSA');
      const { payload } = await jwtVerify(token, k, { algorithms: ALGORITHMS, ...(typ ? { typ } : {}), clockTolerance: Number.MAX_SAFE_INTEGER });
      return payload as Record<string, unknown>;
    } catch {
      return null;
    }
  },

  async verifyDpop(proof: string) {
    try {
      // the kernel applies its own clock to `iat`: no time check here
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { algorithms: ALGORITHMS, typ: 'dpop+jwt', clockTolerance: Number.MAX_SAFE_INTEGER });
      const jwk = protectedHeader.jwk;
      if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk) return null;
      return { claims: payload as Record<string, unknown>, jkt: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, 'sha256') };
    } catch {
      return null;
    }
  },

  accessTokenHash(token: string) {
    return base64url(sha256(new TextEncoder().encode(token)));
  },
};
