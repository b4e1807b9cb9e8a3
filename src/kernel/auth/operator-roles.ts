import { DomainError } from '../errors.ts';
import type { OperatorTokenVerifier } from '../../ports/operator-auth.ts';

/**
 * Operator roles, read from a token's `roles` claim: `operator` manages the agent registry,
 * `auditor` reads it, `approver` answers approvals (later). Other role names are ignored.
 */
export const OPERATOR_ROLES = ['operator', 'auditor', 'approver'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** An authenticated operator: the token's subject and the roles it carries. */
export type Operator = { subject: string; roles: OperatorRole[] };

/**
 * The roles of a `roles` claim: a JSON array of strings, or one space-separated string (the
 * OAuth `scope` form some identity providers use). Names other than the three are dropped; a
 * claim of another shape carries no role.
 */
export function rolesOf(claim: unknown): OperatorRole[] {
  const names = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  const known = new Set<string>(OPERATOR_ROLES);
  return [...new Set(names.filter((n): n is OperatorRole => typeof n === 'string' && known.has(n)))];
}

/** Throws FORBIDDEN unless `operator` holds one of `allowed`. */
export function requireOneOf(operator: Operator, allowed: readonly OperatorRole[]): void {
  if (operator.roles.some((r) => allowed.includes(r))) return;
  const held = operator.roles.length ? operator.roles.map((r) => `\`${r}\``).join(', ') : 'no role';
  throw new DomainError('FORBIDDEN', `this operation needs the role ${allowed.map((r) => `\`${r}\``).join(' or ')}; the token carries ${held}`);
}

/**
 * Authenticates operators through the configured verifier, then applies the role rule. Without
 * a verifier, operator operations are unavailable (fail closed), never open.
 */
export class OperatorAuth {
  private readonly verifier: OperatorTokenVerifier | undefined;

  constructor(verifier: OperatorTokenVerifier | undefined) {
    this.verifier = verifier;
  }

  /** The operator behind `token` if it verifies and holds one of `allowed`; throws UNAUTHENTICATED, FORBIDDEN or UNAVAILABLE. */
  async authenticate(token: string | null, allowed: readonly OperatorRole[]): Promise<Operator> {
    if (!this.verifier) throw new DomainError('UNAVAILABLE', 'operator authentication is not configured (KEE_OPERATOR_JWKS)');
    if (token === null) throw new DomainError('UNAUTHENTICATED', 'an operator bearer token is required (`Authorization: Bearer <jwt>`)');
    const verified = await this.verifier.verify(token);
    const operator = { subject: verified.subject, roles: rolesOf(verified.claims.roles) };
    requireOneOf(operator, allowed);
    return operator;
  }
}
