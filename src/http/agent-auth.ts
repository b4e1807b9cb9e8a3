import type { Context } from 'hono';
import type { SessionHolder } from '../kernel/auth/agent-auth.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { problem } from './errors.ts';

/** RFC 9449 §7.1: the challenge of a refused agent call (`error` only when credentials were sent). */
export function dpopChallenge(err: DomainError, sentCredentials: boolean): string {
  if (err.code === 'FORBIDDEN') return 'DPoP realm="kee", algs="EdDSA", error="insufficient_scope"';
  return sentCredentials ? 'DPoP realm="kee", algs="EdDSA", error="invalid_token"' : 'DPoP realm="kee", algs="EdDSA"';
}

/**
 * Runs `handler`, answering its UNAUTHENTICATED (401) and FORBIDDEN (403) refusals as
 * problem+json with `WWW-Authenticate: DPoP` (docs/identity.md "Agent authentication").
 */
export async function withDpopChallenge(c: Context, handler: () => Promise<Response>, sentAssertion: () => boolean = () => false): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    if (e instanceof DomainError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')) {
      const sent = sentAssertion() || c.req.header('authorization') !== undefined || c.req.header('dpop') !== undefined;
      return problem(c, e, { 'www-authenticate': dpopChallenge(e, sent) });
    }
    throw e;
  }
}

/** Under KEE_AUTH=agents, who proved possession of the session's key in this call (401 otherwise); undefined under `none`. */
export async function sessionHolder(c: Context, kernel: Kernel, sessionId: string): Promise<SessionHolder | undefined> {
  if (kernel.authMode !== 'agents') return undefined;
  return kernel.authenticateCall({ sessionId, authorization: c.req.header('authorization'), dpop: c.req.header('dpop'), method: c.req.method, url: c.req.url });
}
