import { acdGateFor } from '../acd/acd-gate.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AgentRegistry } from '../agents/agent-registry.ts';
import { AGENT_ENTITY_TYPE } from '../agents/registry-entry.ts';
import type { SessionHolder } from '../auth/agent-auth.ts';
import type { PolicyCluster } from '../cluster/policy-cluster.ts';
import type { CredentialIssuer } from '../credentials/issuer.ts';
import type { DecisionFeed } from '../decision-feed/feed.ts';
import type { KernelDeps } from '../deps.ts';
import { DomainError } from '../errors.ts';
import type { HemService } from '../hem/hem-service.ts';
import { withHemFacts } from '../hem/retry.ts';
import type { ManifestService } from '../manifest/manifest-service.ts';
import type { PartyRegistryService } from '../party-registry/party-registry-service.ts';
import type { PolicyRegistry } from '../policy/policy-registry.ts';
import type { Federation } from '../revocation/federation.ts';
import type { SessionExpiry } from '../sessions/session-expiry.ts';
import type { Startup } from '../startup/startup.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { ToolPermits } from '../tool-results/permits.ts';
import type { AuthorizationRequest, Session } from '../types.ts';
import { decideAndRecord, type AuthorizeResult, type DecideOptions } from './decide.ts';

/** The kernel's services a decision in a session reads and records with. */
export interface InSessionServices {
  readonly state: KernelState;
  readonly kernelId: string;
  readonly startup: Startup;
  readonly audit: AuditLog;
  readonly expiry: SessionExpiry;
  readonly manifests: ManifestService;
  readonly policies: PolicyRegistry;
  readonly cluster: PolicyCluster | null;
  readonly hem: HemService;
  readonly agents: AgentRegistry;
  readonly partyRegistry: PartyRegistryService;
  readonly credentials: CredentialIssuer;
  readonly revocation: Federation;
  readonly toolPermits: ToolPermits;
  readonly decisions: DecisionFeed;
  sessionOrThrow(sessionId: string): Promise<Session>;
}

/**
 * Decisions in an open session (`Kernel.authorize`, `authorizeBatch`, the one-shot sessions):
 * the session's checks, P5 on the hot path, the refusals before evaluation, then
 * `decideAndRecord` (no decision answered before its record is durable).
 */
export class InSessionDecisions {
  private readonly deps: KernelDeps;
  private readonly s: InSessionServices;

  constructor(deps: KernelDeps, services: InSessionServices) {
    this.deps = deps;
    this.s = services;
  }

  /**
   * Why a request in `session` is DENIED before evaluation, or null: the principal of an
   * authenticated session must be its agent (PRINCIPAL_MISMATCH), and a registered agent that
   * is no longer ACTIVE gets no PERMIT in its sessions (AGENT_SUSPENDED, AGENT_REVOKED).
   */
  private refusal(session: Session, holder: SessionHolder | null, request: AuthorizationRequest, acdGate?: (audience: string) => string | null): string | null {
    const own = this.s.agents.find(session.agent_id);
    if (own && own.status !== 'ACTIVE') return `AGENT_${own.status}: agent \`${session.agent_id}\` is ${own.status}`;
    const revoked = this.s.revocation.refusal(session.agent_id, own?.xpid);
    if (revoked) return revoked;
    const p = request.principal;
    if (holder && (p.type !== AGENT_ENTITY_TYPE || p.id !== holder.agentId)) return `PRINCIPAL_MISMATCH: the principal ${p.type}::${JSON.stringify(p.id)} is not the session's agent ${AGENT_ENTITY_TYPE}::${JSON.stringify(holder.agentId)}`;
    if (request.audience !== undefined && acdGate) return acdGate(request.audience);
    return null;
  }

  async decide(sessionId: string, requests: readonly AuthorizationRequest[], holder: SessionHolder | null, options?: DecideOptions): Promise<AuthorizeResult[]> {
    if (!this.s.startup.started) await this.s.startup.ready();
    const session = await this.s.sessionOrThrow(sessionId);
    await this.s.expiry.check(session);
    if (session.status === 'TAMPERED') throw new DomainError('AUDIT_TAMPERED', `session \`${sessionId}\` is marked tampered`);
    if (session.status !== 'OPEN') throw new DomainError('SESSION_CLOSED', `session \`${sessionId}\` is closed`);
    if (holder && holder.agentId !== session.agent_id) throw new DomainError('UNAUTHENTICATED', 'the session token is not for this session');
    // P5 on the hot path: the live set is the manifest's (one comparison), full re-verify at most
    // every `manifestRecheckMs`; a mismatch enters MANIFEST_INTEGRITY_FAILURE before evaluation.
    // (A swap during the await changes set and manifest together, in one turn.)
    const manifestCheck = this.s.manifests.checkDecision(this.s.policies.current().engine.active());
    if (manifestCheck) await manifestCheck;
    // the kernel alone fills `context.hem`, from its own records of the escalation a retry names
    const cluster = this.s.cluster;
    const prepared = await withHemFacts(this.s.hem, session, requests);
    const acdGate = await acdGateFor(requests, {
      // caught up with the store: a declaration made through another kernel on it is honoured at once (fail-closed)
      agents: () => this.s.agents.list(),
      registry: () => this.s.partyRegistry.providers(),
      records: () => this.s.audit.io(() => this.deps.store.listRecords(session.session_id), false),
      nowMs: () => Date.parse(this.deps.clock.nowIso()),
    });
    const deps = { policy: () => this.s.policies.current(), telemetry: this.deps.telemetry, state: this.s.state, kernelId: this.s.kernelId, merkle: this.deps.merkle, audit: this.s.audit, credentials: this.s.credentials, refusal: (r: AuthorizationRequest) => this.refusal(session, holder, r, acdGate), hem: { service: this.s.hem, retries: prepared.retries }, cluster: cluster ? () => { const v = cluster.view(); return { state: v.state, reason: v.reason, splitBrain: v.split_brain }; } : undefined };
    const t0 = performance.now();
    const results = await decideAndRecord(deps, session, prepared.requests.map((r) => this.s.agents.withAgentEntity(r)), holder?.jkt, options);
    this.s.expiry.touched(sessionId);
    this.s.toolPermits.decided(sessionId, requests, results);
    this.s.decisions.publish(this.deps.clock.nowIso(), session, requests, results, performance.now() - t0);
    return results;
  }
}
