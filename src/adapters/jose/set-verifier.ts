import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { SetVerifier } from '../../ports/set-verifier.ts';

/**
 * SET verification with `jose`: EdDSA or ES256 signatures against the transmitter's remote JWKS
 * (one cached key set per `jwks_uri`, refetched for an unknown `kid`), `typ: secevent+jwt` and
 * the configured issuer. SETs carry no `exp` (RFC 8417 §2.2); replay is harmless because
 * applying a revocation twice changes nothing.
 */
export function joseSetVerifier(): SetVerifier {
  const sets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  return {
    peekIssuer(token) {
      try {
        const iss = decodeJwt(token).iss;
        return typeof iss === 'string' ? iss : null;
      } catch {
        return null;
      }
    },
    async verify(token, t) {
      let jwks = sets.get(t.jwksUri);
      if (!jwks) {
        jwks = createRemoteJWKSet(new URL(t.jwksUri), { cooldownDuration: 1000 });
        sets.set(t.jwksUri, jwks);
      }
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer: t.issuer, typ: 'secevent+jwt', algorithms: ['EdDSA', 'ES256'] });
        return payload as Record<string, unknown>;
      } catch (e) {
        throw new Error(`the SET does not verify against ${t.jwksUri}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}
