/**
 * Verification of Security Event Tokens (RFC 8417) from a configured SSF transmitter: the
 * signature against the transmitter's JWKS (fetched from `jwks_uri` and cached), `typ`
 * `secevent+jwt` and `iss`. The adapter is `adapters/jose/set-verifier.ts`.
 */
export interface SetVerifier {
  /** The `iss` claim of a compact JWS, unverified (to pick the transmitter); null when unreadable. */
  peekIssuer(token: string): string | null;
  /** The verified claims; rejects with a one-line reason when the SET does not verify. */
  verify(token: string, transmitter: { issuer: string; jwksUri: string }): Promise<Record<string, unknown>>;
}
