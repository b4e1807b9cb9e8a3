/**
 * Verification of an operator's bearer token (a JWT an identity provider issued). The adapter
 * (`adapters/jose/operator-tokens.ts`) checks signature, algorithm, key, expiry, issuer and
 * audience; which roles an operation needs is the kernel's rule (`kernel/auth/operator-roles.ts`).
 */
export type VerifiedOperatorToken = {
  /** The token's `sub`: who the operator is, as the identity provider names them. */
  subject: string;
  /** Every claim of the verified token. */
  claims: Record<string, unknown>;
};

export interface OperatorTokenVerifier {
  /**
   * Resolves with the token's claims once it verifies. Rejects with DomainError
   * `UNAUTHENTICATED` for a token that does not (one line saying why), `UNAVAILABLE` when the
   * keys cannot be fetched.
   */
  verify(token: string): Promise<VerifiedOperatorToken>;
}
