import { base64url, calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

/** What the provider received: the `DPoP` header and the request it came with. */
export type HolderProof = { dpop: string | undefined; method: string; url: string };

/** How old a DPoP proof's `iat` may be, seconds (and `skew` ahead). */
export const PROOF_MAX_AGE_SECONDS = 60;
const MAX_SEEN = 100_000;
const MAX_KEYS = 1024;

type ProofKey = { key: CryptoKey; jkt: string };

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
  /**
   * Holder keys imported, with their RFC 7638 thumbprint, by `x`: a holder proves with the same
   * key on every call, so neither the import nor the thumbprint is redone (bounded: cleared when full).
   */
  private readonly keys = new Map<string, ProofKey>();

  /** The public Ed25519 key of a proof's `jwk` header, or a refusal. Throws for a key that cannot be imported. */
  private async key(jwk: unknown): Promise<ProofKey | string> {
    if (typeof jwk !== 'object' || jwk === null) throw new Error('no `jwk` header');
    const { kty, crv, x } = jwk as Record<string, unknown>;
    if (kty !== 'OKP' || crv !== 'Ed25519' || 'd' in jwk || typeof x !== 'string') return 'the `DPoP` proof must carry a public Ed25519 `jwk`';
    const known = this.keys.get(x);
    if (known) return known;
    const key = (await importJWK({ kty, crv, x }, 'EdDSA')) as CryptoKey;
    const entry = { key, jkt: await calculateJwkThumbprint({ kty, crv, x }, 'sha256') };
    if (this.keys.size >= MAX_KEYS) this.keys.clear();
    this.keys.set(x, entry);
    return entry;
  }

  async check(proof: HolderProof, jkt: string, credential: string, nowSeconds: number, skew: number): Promise<string | null> {
    if (!proof.dpop) return 'this credential is bound to a key (cnf.jkt): a `DPoP` proof is required';
    let claims: Record<string, unknown>;
    let thumbprint: string;
    try {
      const key = await this.key(decodeProtectedHeader(proof.dpop).jwk);
      if (typeof key === 'string') return key;
      const { payload } = await jwtVerify(proof.dpop, key.key, { algorithms: ['EdDSA', 'Ed25519'], typ: 'dpop+jwt', clockTolerance: Number.MAX_SAFE_INTEGER });
      claims = payload as Record<string, unknown>;
      thumbprint = key.jkt;
    } catch {
      return 'the `DPoP` proof does not verify';
    }
    if (thumbprint !== jkt) return 'the `DPoP` proof is not signed by the key the credential is bound to';
    if (claims.htm !== proof.method) return `the \`DPoP\` proof's \`htm\` is not \`${proof.method}\``;
    const u = new URL(proof.url);
    if (claims.htu !== `${u.origin}${u.pathname}`) return `the \`DPoP\` proof's \`htu\` is not \`${u.origin}${u.pathname}\``;
    const iat = claims.iat;
    if (typeof iat !== 'number' || iat < nowSeconds - PROOF_MAX_AGE_SECONDS - skew || iat > nowSeconds + skew) return `the \`DPoP\` proof's \`iat\` is not within the last ${PROOF_MAX_AGE_SECONDS} seconds`;
    // RFC 9449 defines neither, but RFC 7519 §4.1.4-5 binds any JWT that carries them (jose has already refused non-numeric ones)
    if (typeof claims.exp === 'number' && claims.exp + skew < nowSeconds) return "the `DPoP` proof's `exp` has passed";
    if (typeof claims.nbf === 'number' && claims.nbf - skew > nowSeconds) return "the `DPoP` proof's `nbf` is in the future";
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
