import { base64url, calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

/** What the provider received: the `DPoP` header and the request it came with. */
export type HolderProof = { dpop: string | undefined; method: string; url: string };

/** How old a DPoP proof's `iat` may be, seconds (and `skew` ahead). */
export const PROOF_MAX_AGE_SECONDS = 60;
const MAX_SEEN = 100_000;

/**
 * Checks the RFC 9449 DPoP proof of a credential carrying `cnf.jkt` (RFC 7800): `typ`
 * `dpop+jwt`, EdDSA by the `jwk` in its header whose RFC 7638 thumbprint is `jkt`, `htm` and
 * `htu` of the request received (`htu` without query and fragment), `iat` at most 60 s old,
 * `ath` = base64url SHA-256 of the credential, and a `jti` not seen before within 60 s (kept in
 * memory per verifier, bounded: when full of unexpired ids, proofs are refused). Answers why it
 * fails, or null.
 */
export class HolderProofs {
  private readonly seen = new Map<string, number>();

  async check(proof: HolderProof, jkt: string, credential: string, nowSeconds: number, skew: number): Promise<string | null> {
    if (!proof.dpop) return 'this credential is bound to a key (cnf.jkt): a `DPoP` proof is required';
    let claims: Record<string, unknown>;
    let thumbprint: string;
    try {
      const { payload, protectedHeader } = await jwtVerify(proof.dpop, EmbeddedJWK, { algorithms: ['EdDSA', 'Ed25519'], typ: 'dpop+jwt', clockTolerance: Number.MAX_SAFE_INTEGER });
      const jwk = protectedHeader.jwk;
      if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk) return 'the `DPoP` proof must carry a public Ed25519 `jwk`';
      claims = payload as Record<string, unknown>;
      thumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, 'sha256');
    } catch {
      return 'the `DPoP` proof does not verify';
    }
    if (thumbprint !== jkt) return 'the `DPoP` proof is not signed by the key the credential is bound to';
    if (claims.htm !== proof.method) return `the \`DPoP\` proof's \`htm\` is not \`${proof.method}\``;
    const u = new URL(proof.url);
    if (claims.htu !== `${u.origin}${u.pathname}`) return `the \`DPoP\` proof's \`htu\` is not \`${u.origin}${u.pathname}\``;
    const iat = claims.iat;
    if (typeof iat !== 'number' || iat < nowSeconds - PROOF_MAX_AGE_SECONDS - skew || iat > nowSeconds + skew) return `the \`DPoP\` proof's \`iat\` is not within the last ${PROOF_MAX_AGE_SECONDS} seconds`;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(credential)));
    if (claims.ath !== base64url.encode(digest)) return "the `DPoP` proof's `ath` is not the hash of the credential";
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) return "the `DPoP` proof's `jti` is required";
    const id = `${jkt}\u0000${claims.jti}`;
    const until = this.seen.get(id);
    if (until !== undefined && until >= nowSeconds) return 'the `DPoP` proof was already used (`jti` replayed)';
    if (this.seen.size >= MAX_SEEN) {
      for (const [k, t] of this.seen) if (t < nowSeconds) this.seen.delete(k);
      if (this.seen.size >= MAX_SEEN) return 'too many proofs in flight: retry shortly';
    }
    this.seen.set(id, iat + PROOF_MAX_AGE_SECONDS + skew);
    return null;
  }
}
