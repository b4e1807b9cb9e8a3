import type { AuditLog } from '../audit/audit-log.ts';
import type { AgentRegistry } from '../agents/agent-registry.ts';
import type { CredentialIssuer } from '../credentials/issuer.ts';
import type { KernelDeps } from '../deps.ts';
import { randomTraceId } from '../hex.ts';
import type { ManifestService } from '../manifest/manifest-service.ts';
import type { PolicyRegistry } from '../policy/policy-registry.ts';
import type { Federation } from '../revocation/federation.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { Json, Session } from '../types.ts';
import { sessionAuthority } from './session-authority.ts';
import type { SessionExpiry } from './session-expiry.ts';

/** The kernel's services a session's opening reads and records with. */
export interface SessionOpenServices {
  readonly state: KernelState;
  readonly audit: AuditLog;
  readonly policies: PolicyRegistry;
  readonly credentials: CredentialIssuer;
  readonly agents: AgentRegistry;
  readonly revocation: Federation;
  readonly manifests: ManifestService;
  readonly expiry: SessionExpiry;
}

/**
 * Opens sessions (callers', one-shot and the kernel journal's): a fresh session id and block id
 * (an OTel trace id), SESSION_OPEN as the first record, durable before the session is returned.
 */
export class SessionOpener {
  private readonly deps: KernelDeps;
  private readonly s: SessionOpenServices;

  constructor(deps: KernelDeps, services: SessionOpenServices) {
    this.deps = deps;
    this.s = services;
  }

  async open(agentId: string, jkt?: string, tokenJti?: string, kernelSession?: { sessionId: string; blockId: string; fields: Record<string, Json> }): Promise<Session> {
    const session: Session = {
      session_id: kernelSession?.sessionId ?? crypto.randomUUID(),
      block_id: kernelSession?.blockId ?? randomTraceId(16),
      agent_id: agentId,
      status: 'OPEN',
      created_at: this.deps.clock.nowIso(),
    };
    const live = this.s.policies.current();
    // the epoch this session is made under: its manifest's hash-lock (null only before a store's first manifest)
    const xpid = this.s.credentials.agentXpid(agentId);
    // Appendix A step 4: who opened it, under which entry and mandate, and the intake checks (agent sessions only)
    const agent = this.s.agents.find(agentId);
    const authority = kernelSession ? {} : sessionAuthority({ agentId, agent, jkt, mandateJti: tokenJti, revocation: this.s.revocation.refusal(agentId, agent?.xpid), kernelState: this.s.state.snapshot().state, capProfileId: live.info.capProfileId });
    const fields = { agent_id: agentId, xpid, cap_profile_id: live.info.capProfileId, cap_profile_version: live.version, cedar_policy_hash: live.info.cedarPolicyHash, manifest_hash: this.s.manifests.inForce(), authenticated: jkt !== undefined, ...(jkt === undefined ? {} : { agent_key_jkt: jkt }), ...(tokenJti === undefined ? {} : { session_token_jti: tokenJti }), ...authority, ...kernelSession?.fields };
    await this.s.audit.createSession(session, 'SESSION_OPEN', fields, (first) => this.deps.store.createSession(session, first));
    this.s.expiry.opened(session);
    return session;
  }
}
