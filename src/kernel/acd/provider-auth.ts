import type { AgentProofVerifier } from '../../ports/agent-proof.ts';
import type { AgentAuthenticator } from '../auth/agent-auth.ts';
import { DomainError } from '../errors.ts';
import { RESOURCE_PROVIDER_ROLE } from './acd-record.ts';

/**
 * A resource provider authenticates like an agent (KEE_AUTH=agents): it is a registered agent
 * holding the role `resource_provider`, and each ACD call carries `Authorization: Bearer
 * <client assertion>`, a JWT it signed with a registered key with `iss` = `sub` = its id,
 * `aud` = the kernel's origin, a lifetime of at most 60 s and a `jti` never used before (the
 * agent client-assertion rules, `AgentAuthenticator.checkAssertion`). Answers the provider id;
 * 401 UNAUTHENTICATED when the assertion does not verify, 403 FORBIDDEN for a suspended or
 * revoked provider or an agent without the role.
 */
export async function authenticateProvider(auth: AgentAuthenticator, proofs: AgentProofVerifier | undefined, authorization: string | undefined): Promise<string> {
  const m = authorization === undefined ? null : /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
  if (!m) throw new DomainError('UNAUTHENTICATED', 'a resource provider sends `Authorization: Bearer <client assertion>` signed with its registered key (KEE_AUTH=agents)');
  const assertion = m[1] as string;
  if (!proofs) throw new DomainError('UNAVAILABLE', 'agent authentication is not configured on this kernel');
  const iss = proofs.unverifiedClaims(assertion)?.iss;
  if (typeof iss !== 'string' || iss.length === 0 || iss.length > 256) throw new DomainError('UNAUTHENTICATED', 'the client assertion names no provider in `iss`');
  const { agent } = await auth.checkAssertion(iss, assertion);
  if (!agent.entry.roles.includes(RESOURCE_PROVIDER_ROLE)) throw new DomainError('FORBIDDEN', `agent \`${iss.slice(0, 64)}\` is not a resource provider (role \`${RESOURCE_PROVIDER_ROLE}\`)`);
  return agent.agent_id;
}
