import type { MiddlewareHandler } from 'hono';
import type { Operator, OperatorRole } from '../kernel/auth/operator-roles.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { problem } from './errors.ts';

/** Context variables set by `requireRole`. */
export type OperatorEnv = { Variables: { operator: Operator } };

/** RFC 6750 §3: the challenge of every 401 and 403 of an operator operation (no error code when no credentials were sent). */
function challenge(err: DomainError, sentCredentials: boolean): string {
  if (err.code === 'FORBIDDEN') return 'Bearer realm="kee", error="insufficient_scope"';
  return sentCredentials ? 'Bearer realm="kee", error="invalid_token"' : 'Bearer realm="kee"';
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!m) throw new DomainError('UNAUTHENTICATED', 'the `Authorization` header is not `Bearer <jwt>`');
  return m[1] as string;
}

/**
 * Lets the request through only with an operator bearer token that verifies and carries one of
 * `roles`; sets `c.var.operator`. Refusals are problem+json: 401 `UNAUTHENTICATED` (no token,
 * or one that does not verify) and 403 `FORBIDDEN` (no fitting role), each with
 * `WWW-Authenticate: Bearer`; 503 `UNAVAILABLE` when operator authentication is not configured.
 *
 * @example
 * app.post('/', requireRole(kernel, 'operator'), (c) => c.json({ by: c.var.operator.subject }))
 */
export function requireRole(kernel: Kernel, ...roles: OperatorRole[]): MiddlewareHandler<OperatorEnv> {
  return async function requireOperatorRole(c, next) {
    const header = c.req.header('authorization');
    try {
      c.set('operator', await kernel.operators.authenticate(bearerToken(header), roles));
    } catch (e) {
      if (e instanceof DomainError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')) return problem(c, e, { 'www-authenticate': challenge(e, header !== undefined) });
      throw e;
    }
    await next();
  };
}
