/**
 * Agent authentication (issue 14): the JOSE work of checking an agent's client assertion
 * (RFC 7523 style JWT) and its DPoP proofs (RFC 9449). The kernel (`kernel/auth/agent-auth.ts`)
 * applies the claim rules; the adapter (`adapters/jose/agent-proofs.ts`) verifies signatures
 * with `jose`. EdDSA (Ed25519) only.
 */

/** An Ed25519 public key as the agent registry holds it (RFC 8037). */
export type AgentPublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string };

export interface AgentProofVerifier {
  /** The payload of a compact JWS, not verified (to find which agent claims to sign it); null when it is not one. */
  unverifiedClaims(token: string): Record<string, unknown> | null;
  /** The claims of a compact JWS signed (EdDSA) by `key`, with header `typ` when given; null otherwise. */
  verify(token: string, key: AgentPublicJwk, typ?: string): Promise<Record<string, unknown> | null>;
  /**
   * A DPoP proof (RFC 9449 §4.2): header `typ` `dpop+jwt`, `alg` `EdDSA`, a public Ed25519 `jwk`
   * that verifies it. Its claims and that key's RFC 7638 thumbprint, or null.
   */
  verifyDpop(proof: string): Promise<{ claims: Record<string, unknown>; jkt: string } | null>;
  /** base64url SHA-256 of an access token's ASCII text (DPoP `ath`, RFC 9449 §4.2). */
  accessTokenHash(token: string): string;
}
