import type { Agent } from '../agents/agent-registry.ts';
import type { Json } from '../types.ts';

/** What the kernel knows of a session's opening: the agent, how it proved itself, and the intake checks. */
export type IntakeFacts = {
  agentId: string;
  /** The agent's registry entry (undefined: not registered; only possible under KEE_AUTH=none). */
  agent: Agent | undefined;
  /** The key thumbprint a verified client assertion proved (KEE_AUTH=agents), else undefined. */
  jkt: string | undefined;
  /** The session token's `jti`: the session's mandate (ACD `mjwt_jti`). */
  mandateJti: string | undefined;
  /** Why the agent is refused by revocation (P8), or null. */
  revocation: string | null;
  /** The kernel state when the session opens. */
  kernelState: string;
  capProfileId: string;
};

/**
 * The session's authority and intake (KEE-1 Appendix A step 4: "SACR issued; profile confirmed;
 * intake done"), written in its SESSION_OPEN: who opened it and how that was proved, under which
 * registry entry (and the operator who registered it) and mandate, and what the kernel checked
 * before the first request. `intake_result` is `PASS` only when every check passed; a session
 * opened otherwise (KEE_AUTH=none, an unregistered or revoked agent) says so, and its decisions
 * are refused as the registry and revocation registry say.
 */
export function sessionAuthority(f: IntakeFacts): Record<string, Json> {
  const checks: Record<string, Json> = {
    agent_authenticated: f.jkt !== undefined ? 'PASS' : 'NOT_AUTHENTICATED',
    agent_registered: f.agent ? 'PASS' : 'NOT_REGISTERED',
    agent_status: f.agent ? (f.agent.status === 'ACTIVE' ? 'PASS' : f.agent.status) : 'NOT_REGISTERED',
    agent_not_revoked: f.revocation === null ? 'PASS' : 'FAIL',
    kernel_state: f.kernelState === 'NORMAL' ? 'PASS' : f.kernelState,
    cap_profile: f.capProfileId,
  };
  const failed = Object.entries(checks).some(([k, v]) => k !== 'cap_profile' && v !== 'PASS');
  return {
    session_authority: {
      opened_by: f.agentId,
      authentication: f.jkt !== undefined ? 'CLIENT_ASSERTION_DPOP' : 'NONE',
      registry_entry_hash: f.agent?.registry_entry_hash ?? null,
      registered_by: f.agent?.registered_by ?? null,
      roles: f.agent ? [...f.agent.entry.roles] : [],
      mandate_jti: f.mandateJti ?? null,
      mandate_scope_type: 'FULL',
      delegation_chain_depth: 0,
    },
    intake_checks: checks,
    intake_result: failed ? 'INCOMPLETE' : 'PASS',
  };
}
