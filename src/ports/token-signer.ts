/**
 * The kernel's token-signing key (intent-bound credentials, issue 14): an Ed25519 key of its
 * own, apart from the block-signing key, published as a JWK at `/.well-known/jwks.json` and
 * declared in the GEC Manifest. The adapter (`adapters/jose/token-signer.ts`) signs with `jose`.
 */

/** The public half as an RFC 8037 OKP JWK, with `kid` = its RFC 7638 thumbprint. */
export type TokenJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };

export interface TokenSigner {
  /** RFC 7638 thumbprint (base64url SHA-256) of the public JWK. */
  readonly kid: string;
  readonly jwk: TokenJwk;
  /** Raw 32-byte public key, lowercase hex (as the manifest declares keys). */
  readonly publicKeyHex: string;
  /** A compact JWS (EdDSA) over `claims`, with `alg`, `typ` and `kid` in the protected header. */
  sign(typ: string, claims: Record<string, unknown>): Promise<string>;
  /**
   * The claims of a compact JWS this key signed with header `typ`; null for anything else (no
   * time checks: the caller applies its own clock).
   */
  verify(token: string, typ: string): Promise<Record<string, unknown> | null>;
  /** A fresh credential id (UUID v4). */
  newId(): string;
}

/** BLAKE2b-256 (RFC 7693, 32-byte output) of the intent fingerprint. */
export interface IntentHasher {
  blake2b256(bytes: Uint8Array): Uint8Array;
}
