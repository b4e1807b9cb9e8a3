import type { AcdGrantReport, AcdIssued, AcdRefused, AcdService } from './acd/acd-service.ts';
import { authenticateProvider } from './acd/provider-auth.ts';
import type { PartyRegistryService } from './party-registry/party-registry-service.ts';
import type { AuditPackage } from './audit/audit-package.ts';
import type { BlockLogEntry, Checkpoint, ConsistencyProof, InclusionProof } from './audit/blocks.ts';
import type { KernelJournal } from './audit/journal.ts';
import type { SessionExpiry } from './sessions/session-expiry.ts';
import type { OperatorAuth } from './auth/operator-roles.ts';
import type { Agent } from './agents/agent-registry.ts';
import type { AgentAuthenticator, AuthMode, SessionCall, SessionHolder } from './auth/agent-auth.ts';
import type { AgentRegistration } from './agents/registry-entry.ts';
import type { AuthorizeResult, DecideOptions } from './authorize/decide.ts';
import type { DecisionFeed } from './decision-feed/feed.ts';
import { oneShotAgentId, type OneShotResult } from './authorize/one-shot.ts';
import type { CapProfileHistory } from './cap-profile/history.ts';
import type { ActiveCapProfile, CapProfileAccepted } from './cap-profile/registry.ts';
import { ptdControl, type PtdControl } from './ptd/controls.ts';
import type { KernelDeps } from './deps.ts';
import { CREDENTIAL_TYP } from './credentials/claims.ts';
import type { RevocationEntry, RevocationFeed, RevocationInput } from './credentials/revocations.ts';
import type { Federation } from './revocation/federation.ts';
import type { PropagationView } from './revocation/propagation.ts';
import { DomainError } from './errors.ts';
import { toHex } from './hex.ts';
import type { ActivePolicyText, EpochHook, PolicyActivation, PolicyCandidate, PolicyEpoch } from './policy/activation.ts';
import type { Escalation, HemAnswer, HemStatus } from './hem/escalation.ts';
import type { HemNotice } from './hem/hem-service.ts';
import type { ClusterView } from './cluster/policy-cluster.ts';
import type { ManifestService } from './manifest/manifest-service.ts';
import { kernelRequirements, liveConformance } from './conformance/kernel-requirements.ts';
import type { KernelMetrics, MetricsSnapshot } from './metrics/kernel-metrics.ts';
import type { KernelState } from './state/kernel-state.ts';
import { wireKernel, type KernelServices } from './wiring.ts';
import type { AuthorizationRequest, Json, Session, SessionBlock } from './types.ts';
import type { DeriveXpidInput } from '../ports/xpid.ts';
import type { TokenJwk } from '../ports/token-signer.ts';
import { TOOL_RESULT_ALE, toolResultFields, type ToolResultReport } from './tool-results/tool-result.ts';

export type { ActivePolicyText, Agent, AuthorizeResult, Escalation, HemNotice, MetricsSnapshot, OneShotResult };


/** The governance kernel: sessions, fail-closed authorization, the audit chain and Session Blocks. */
export class Kernel {
  readonly state: KernelState;
  /** Counters read by `GET /metrics`. */
  readonly metrics: KernelMetrics;
  /** Decisions as they are made, for live views (the console); the audit log is the evidence. */
  readonly decisions: DecisionFeed;
  readonly kernelId: string;
  private readonly deps: KernelDeps;
  /** The services behind the facade (`wiring.ts`); the public ones are also its fields. */
  private readonly s: KernelServices;
  /** Session lifetime and idle limits (SESSION_EXPIRED). */
  readonly expiry: SessionExpiry;
  /** The signed CAP Profile updates accepted so far, as stored (read back for diffs). */
  readonly capProfileHistory: CapProfileHistory;
  /** The KIA Party Registry signed by the CAP Profile publishers, served to providers (docs/party-registry.md). */
  readonly partyRegistry: PartyRegistryService;
  /** The GEC Manifest (P5): issued by `start()`, one epoch per policy activation. */
  readonly manifests: ManifestService;
  /** Operator bearer tokens and the role rule (the agent registry's routes). */
  readonly operators: OperatorAuth;
  /** P8 revocation over SSF / CAEP: transmitter streams, completion states, receiver streams. */
  readonly revocation: Federation;
  /** `iss` of credentials: the kernel's origin (its checkpoints' origin line). */
  readonly issuer: string;
  /** `KEE_AUTH`: whether agents authenticate (client assertion, session token, DPoP). */
  readonly authMode: AuthMode;
  /** Versions this instance proposed and is about to apply: the ones whose signed profile it stores. */
  /** Agent client assertions, session tokens and DPoP proofs (KEE_AUTH=agents). */
  readonly agentAuth: AgentAuthenticator;

  constructor(deps: KernelDeps) {
    this.deps = deps;
    // every service, wired in order (`wiring.ts`); what they call back on the facade, here
    this.s = wireKernel(deps, {
      open: (agentId, jkt, tokenJti, kernelSession) => this.open(agentId, jkt, tokenJti, kernelSession),
      closeSession: (sessionId) => this.closeSession(sessionId),
      activatePolicy: (candidate) => this.activatePolicy(candidate),
      activePolicy: () => this.activePolicy(),
      ownRequirements: () => this.ownRequirements(),
      sessionOrThrow: (sessionId) => this.sessionOrThrow(sessionId),
    });
    ({
      state: this.state, metrics: this.metrics, decisions: this.decisions, kernelId: this.kernelId, expiry: this.expiry, capProfileHistory: this.capProfileHistory, partyRegistry: this.partyRegistry,
      manifests: this.manifests, operators: this.operators, revocation: this.revocation, issuer: this.issuer, authMode: this.authMode, agentAuth: this.agentAuth,
    } = this.s);
  }

  /**
   * Starts the kernel (the ordered steps and their fail-closed handling: `startup/startup.ts`).
   * Until it has run, the kernel opens no session, decides nothing and signs nothing (503
   * KERNEL_NOT_STARTED); calls made while it runs wait for it. A stored manifest chain that fails
   * verification leaves the kernel started in MANIFEST_INTEGRITY_FAILURE; any other failure
   * rejects, and start may be called again.
   */
  start(): Promise<void> {
    return this.s.startup.start();
  }

  /** Settles once the start's recovery is done (at once unless `options.deferRecovery`; after `options.recoveryGate` when given). */
  recovered(): Promise<void> {
    return this.s.startup.recovered();
  }

  private get started(): boolean {
    return this.s.startup.started;
  }

  private ready(): Promise<void> {
    return this.s.startup.ready();
  }

  /**
   * P3 `GET /.well-known/soos-acd`: under KEE_AUTH=agents the resource provider authenticates
   * first (401/403, nothing recorded); then ALE-056, the four checks, and the signed record or
   * the 403 body (see `AcdService`).
   */
  async acdHandshake(aepSessionId: string, authorization: string | undefined): Promise<AcdIssued | AcdRefused> {
    if (!this.started) await this.ready();
    const provider = this.authMode === 'agents' ? await authenticateProvider(this.agentAuth, this.deps.agentProofs, authorization) : null;
    // where no timer runs (workerd) the manifest is kept fresh here; a refresh that cannot run now
    // (an activation holds the mutex) leaves the manifest in force, still inside its window
    await this.s.manifestRefresh.refreshIfDue().catch(() => undefined);
    return this.s.acd.handshake(aepSessionId, provider);
  }

  /** P3 `POST /v1/acd/{acd_session_id}/grant`: the provider's access decision (ALE-058 / ALE-062). */
  async acdGrant(acdSessionId: string, report: AcdGrantReport, authorization: string | undefined): Promise<Awaited<ReturnType<AcdService['grant']>>> {
    if (!this.started) await this.ready();
    const provider = this.authMode === 'agents' ? await authenticateProvider(this.agentAuth, this.deps.agentProofs, authorization) : null;
    return this.s.acd.grant(acdSessionId, provider, report);
  }

  /**
   * P1 atomic hot swap of the policy set (see `PolicyRegistry`): throws, with the old set still
   * serving and the refusal recorded, unless the candidate loads, its version exceeds the active
   * one, every epoch hook prepares and the activation is durable.
   */
  async activatePolicy(candidate: PolicyCandidate): Promise<PolicyActivation> {
    // after start: the manifest of the restored set exists, so this activation is its next epoch
    if (!this.started) await this.ready();
    return this.s.policies.activate(candidate);
  }

  /** Registers a manifest-epoch hook: prepared before every swap, committed in the same turn as it. */
  onPolicyEpoch(hook: EpochHook): void {
    this.s.policies.onEpoch(hook);
  }

  /** The serving policy set: ids, hashes, tiers, version (0: the built-in profile). */
  activePolicy(): PolicyEpoch & { activatedAt: string | null } {
    const live = this.s.policies.current();
    return { ...live.info, version: live.version, ...(live.capProfileHash === null ? {} : { capProfileHash: live.capProfileHash }), activatedAt: live.activatedAt };
  }

  health(): { status: 'ok'; state: string; runtime: KernelDeps['runtime']; conditions: { state: string; reason: string }[]; conformance?: { level: string; unmet: { requirement: string; level: string; reason: string }[] }; revocation?: NonNullable<ReturnType<Federation['health']>>; cluster?: ClusterView } {
    const snap = this.state.snapshot();
    const conformance = liveConformance(this.manifests.conformance(), this.ownRequirements());
    const revocation = this.revocation.health();
    return { status: 'ok', state: snap.state, runtime: this.deps.runtime, conditions: snap.conditions, ...(conformance ? { conformance } : {}), ...(revocation ? { revocation } : {}), ...(this.s.cluster ? { cluster: this.s.cluster.view() } : {}) };
  }

  /** The policy cluster node's view (state, versions, split brain), or null for a single kernel. */
  clusterView(): ClusterView | null {
    return this.s.cluster?.view() ?? null;
  }

  /** One policy-cluster poll now (tests; the node also polls by itself). */
  async clusterTick(): Promise<void> {
    await this.s.cluster?.tick();
  }

  /** P3 and P8 as they stand now (conformance_unmet, /healthz). */
  private ownRequirements(): ReturnType<typeof kernelRequirements> {
    return kernelRequirements({ acdStartup: () => this.s.startup.acdStartup, revocationLoaded: () => this.s.startup.revocationsLoaded, revocationUnconfirmed: () => this.revocation.receiver.unconfirmed() });
  }

  /** Re-issues the GEC Manifest now if it is due (half its staleness window, or P3 / P8 changed): what the housekeeping timer runs. */
  refreshManifest(): Promise<string | null> {
    return this.s.manifestRefresh.refreshIfDue();
  }

  publicKey(): { algorithm: 'Ed25519'; key_id: string; public_key: string } {
    return { algorithm: 'Ed25519', key_id: this.kernelId, public_key: toHex(this.deps.signer.publicKey()) };
  }

  /** The kernel token key's public JWK Set (`/.well-known/jwks.json`). */
  jwks(): { keys: TokenJwk[] } {
    return { keys: [{ ...this.deps.tokens.jwk }] };
  }

  /**
   * RFC 7662 introspection of a credential: its claims with `active: true` when this kernel's
   * token key signed it, the kernel clock is within `[nbf, exp)`, and its `jti` is not revoked;
   * otherwise only `active: false`.
   */
  async introspect(token: string): Promise<{ active: true } & Record<string, unknown> | { active: false }> {
    if (!this.started) await this.ready();
    const claims = await this.deps.tokens.verify(token, CREDENTIAL_TYP);
    if (!claims || claims.iss !== this.issuer || typeof claims.jti !== 'string') return { active: false };
    const now = Math.floor(Date.parse(this.deps.clock.nowIso()) / 1000);
    if (typeof claims.exp !== 'number' || typeof claims.nbf !== 'number' || now >= claims.exp || now < claims.nbf) return { active: false };
    if ((await this.s.revocations.isRevoked(claims.jti)) || (typeof claims.sub === 'string' && (await this.s.revocations.isRevoked('XPID', claims.sub)))) return { active: false };
    return { ...claims, active: true };
  }

  /**
   * RFC 7009 revocation of a credential: a credential this kernel signed is revoked (recorded as
   * CREDENTIAL_REVOKED and added to the revocation feed) unless already revoked; anything else
   * is ignored, as the RFC requires. Resolves once the revocation is durable.
   */
  async revokeCredential(token: string): Promise<void> {
    if (!this.started) await this.ready();
    const claims = await this.deps.tokens.verify(token, CREDENTIAL_TYP);
    if (!claims || claims.iss !== this.issuer || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return;
    await this.s.revocations.revoke(claims.jti, claims.exp);
  }

  /** `revokeCredential` by the credential's holder: `call` proves the key of its `cnf.jkt` (DPoP); a token this kernel did not sign is 401. */
  async revokeCredentialAsHolder(token: string, call: Omit<SessionCall, 'sessionId'>): Promise<void> {
    if (!this.started) await this.ready();
    const claims = await this.deps.tokens.verify(token, CREDENTIAL_TYP);
    if (!claims || claims.iss !== this.issuer || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') throw new DomainError('UNAUTHENTICATED', 'the credential does not verify: there is no holder to prove');
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    await this.agentAuth.checkHolder(call, token, typeof jkt === 'string' ? jkt : undefined);
    await this.s.revocations.revoke(claims.jti, claims.exp);
  }

  /**
   * Adds a registry entry (`POST /v1/revocations`, operator): recorded, stored, then sent to the
   * SSF receivers. An XPID of a registered agent gets the agent as subject.
   */
  async revoke(input: RevocationInput, operator: string): Promise<RevocationEntry> {
    if (!this.started) await this.ready();
    const agent = input.kind === 'XPID' ? (await this.s.agents.list()).find((a) => a.xpid === input.id) : undefined;
    const subject = input.subject ?? (agent ? { agent_id: agent.agent_id, xpid: agent.xpid } : input.kind === 'XPID' ? { xpid: input.id } : undefined);
    return this.s.revocations.register({ ...input, ...(subject ? { subject } : {}), revoking_principal: operator, source: 'LOCAL' });
  }

  /**
   * The revocation status of a mandate `jti` / agent `xpid` (ACD Check 4, CONF-KIA-23: the jti is
   * checked independently of the XPID): the entry revoking either (registry brought up to date
   * first), and why status cannot be confirmed now (an SSF stream silent past its bound), if so.
   */
  async checkRevocation(q: { jti?: string; xpid?: string; agentId?: string }): Promise<{ revoked: RevocationEntry | null; unconfirmed: string | null }> {
    if (!this.started) await this.ready();
    await this.s.revocations.refresh();
    return { revoked: this.s.revocations.check(q), unconfirmed: this.revocation.receiver.unconfirmed() };
  }

  /** A SET pushed by a configured SSF transmitter (RFC 8935): verified, then applied to the registry. */
  async receiveSet(token: string): Promise<void> {
    if (!this.started) await this.ready();
    await this.revocation.receiver.receivePush(token);
  }

  /** The revocation feed after sequence `since`: what a resource provider's verifier polls. */
  async revocationFeed(since: number): Promise<RevocationFeed> {
    if (!this.started) await this.ready();
    return this.s.revocations.feed(since);
  }

  /**
   * Open sessions, newest first (`GET /v1/sessions?status=OPEN`): at most `limit`; `truncated`
   * when more are open (the store hands back any `limit` of them).
   */
  async openSessions(limit = 1000): Promise<{ sessions: Session[]; truncated: boolean }> {
    if (!this.started) await this.ready();
    const found = await this.s.audit.io(() => this.deps.store.sessionsWithStatus('OPEN', limit + 1), false);
    const sessions = found.slice(0, limit).sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    return { sessions, truncated: found.length > limit };
  }

  /**
   * The revocation events this kernel originated, newest first, each with its completion state
   * (PENDING, CLEAN, PARTIAL, UNKNOWN) and receivers: the tracking of `REVOCATION_PROPAGATION`,
   * restored from the SSF outbox at a restart (the records are the evidence).
   */
  async revocationEvents(): Promise<PropagationView[]> {
    if (!this.started) await this.ready();
    return this.revocation.propagation.view().reverse();
  }

  /**
   * Records a signer ceremony transcript (`FROST_CEREMONY`, `FROST_RESHARD`; no secrets) as a
   * KERNEL_AUDIT_ANOMALY in the kernel journal. Rejects when it cannot be written, so the caller
   * can keep it for a later attempt.
   */
  async recordSignerEvent(event: { event_type: string } & Record<string, Json>): Promise<void> {
    const { event_type, ...fields } = event;
    await this.s.journal.recordAnomaly(event_type, { severity: 'INFO', ...fields });
  }

  /** Starts the signer health probes (quorum-loss alerts, recovery by itself). */
  startSigningMonitor(): void {
    this.s.monitor.start();
  }

  /** Stops background work (the signer probes, the one-shot sweep, the journal and expiry timer). */
  stop(): void {
    this.s.cluster?.stop();
    this.s.monitor.stop();
    this.s.oneShot.stop();
    this.s.hem.stop();
    this.revocation.stop();
    this.s.housekeeping.stop();
  }

  /** Starts the timer that seals the journal's block when due and expires sessions (not on workerd). */
  startHousekeeping(): void {
    this.s.housekeeping.start();
  }

  /** One round of the housekeeping timer now: journal seal if due, session expiry. */
  tick(): Promise<void> {
    return this.s.housekeeping.tick();
  }

  /**
   * Graceful stop: stops the timers and seals the journal's open block (`seal_reason:
   * shutdown`) into a signed block, without waiting for a signer that is out. Never rejects: a
   * block that cannot be signed now is completed by the next start.
   */
  async shutdown(): Promise<void> {
    this.stop();
    if (!this.started) return;
    await this.s.journal.flush();
    await this.s.journal.seal('shutdown', 0).catch(() => undefined);
  }

  /** Where the kernel journal stands: its open block and the last sealed one (tests, `GET /v1/audit/journal`). */
  journalHead(): ReturnType<KernelJournal['head']> {
    return this.s.journal.head();
  }

  /** The kernel journal's blocks from `fromSeq`, in order. */
  journalBlocks(fromSeq: number, limit: number): ReturnType<KernelJournal['entries']> {
    return this.s.journal.entries(fromSeq, limit);
  }

  /** Resolves once the journal seals started so far have settled. */
  journalFlush(): Promise<void> {
    return this.s.journal.flush();
  }

  /** A threshold signer found participants sending invalid shares: journal and alert (never throws). */
  reportSignerFault(culprits: readonly number[], detail: string): Promise<void> {
    return this.s.monitor.culprits(culprits, detail);
  }

  /** One signer probe round now (what the monitor runs on its timer). */
  probeSigner(): Promise<void> {
    return this.s.monitor.probe();
  }

  /**
   * KEE §10 `derive_xpid` (digest §2.12, §4.3 family 1): the XPID of one interaction between two
   * KIA parties. Deterministic and side-effect free: no record, no state, no start needed.
   */
  deriveXpid(input: DeriveXpidInput): string {
    return this.deps.xpid.deriveXpid(input);
  }

  /** Opens a session; its block id is a fresh OTel trace id; SESSION_OPEN is its first record. */
  async openSession(agentId: string): Promise<Session> {
    if (!this.started) await this.ready();
    return this.open(agentId);
  }

  /**
   * Opens a caller's session (`POST /v1/sessions`). Under KEE_AUTH=agents the client assertion
   * must verify (UNAUTHENTICATED, FORBIDDEN for a suspended or revoked agent) and the answer
   * carries the session token bound to the key that signed it; under `none` any agent_id opens
   * a session, recorded as unauthenticated.
   */
  async openCallerSession(agentId: string, assertion: string | undefined): Promise<{ session: Session; token?: { token: string; expiresIn: number } }> {
    if (!this.started) await this.ready();
    if (this.authMode === 'none') return { session: await this.open(agentId) };
    const { agent, jkt } = await this.agentAuth.checkAssertion(agentId, assertion);
    // the token's jti is fixed first and named in SESSION_OPEN: the session's mandate (ACD Check 4, `mjwt_jti`)
    const jti = this.deps.tokens.newId();
    const session = await this.open(agentId, jkt, jti);
    return { session, token: await this.agentAuth.sessionToken(session.session_id, agent, jkt, jti) };
  }

  /** Checks the session token and DPoP proof of a call in an authenticated session (KEE_AUTH=agents). */
  authenticateCall(call: SessionCall): Promise<SessionHolder> {
    return this.agentAuth.checkCall(call);
  }

  private open(agentId: string, jkt?: string, tokenJti?: string, kernelSession?: { sessionId: string; blockId: string; fields: Record<string, Json> }): Promise<Session> {
    return this.s.opener.open(agentId, jkt, tokenJti, kernelSession);
  }

  /**
   * `holder`: who proved possession of the session's key (required under KEE_AUTH=agents).
   * `options.credential: false`: a PERMIT without its credential, for a caller that enforces the
   * decision itself and presents it to no one (the embedded MCP gateway); its record names none.
   */
  async authorize(sessionId: string, request: AuthorizationRequest, holder?: SessionHolder, options?: DecideOptions): Promise<AuthorizeResult> {
    return this.metrics.timeAuthorize(
      (r) => [r.decision],
      async () => (await this.decideInSession(sessionId, [request], this.holderOrThrow(holder), options))[0] as AuthorizeResult,
    );
  }

  /**
   * Decides several requests in one session: one result per request, in order, each recorded
   * (ale_seq ascending in request order). A request the engine fails on is a DENY for that one
   * request; a failure to record any of them fails the whole call (no decision without its record).
   */
  async authorizeBatch(sessionId: string, requests: readonly AuthorizationRequest[], holder?: SessionHolder): Promise<AuthorizeResult[]> {
    return this.metrics.timeAuthorize(
      (rs) => rs.map((r) => r.decision),
      () => this.decideInSession(sessionId, requests, this.holderOrThrow(holder)),
    );
  }

  /**
   * One-shot decisions without a caller-managed session (`POST /v1/authorize`): each request is
   * decided and recorded in its principal's kernel-managed session (see `OneShotSessions`),
   * durably before the answer, which names the session and block the record is in.
   */
  async authorizeOneShot(requests: readonly AuthorizationRequest[]): Promise<OneShotResult[]> {
    return this.metrics.timeAuthorize(
      (rs) => rs.map((r) => r.decision),
      async () => {
        // a one-shot decision has no session key to prove: agents authenticate through sessions
        if (this.authMode === 'agents') throw new DomainError('UNAUTHENTICATED', 'one-shot decisions are off under KEE_AUTH=agents: open a session with a client assertion (`POST /v1/sessions`)');
        if (!this.started) await this.ready();
        const groups = new Map<string, number[]>();
        requests.forEach((r, i) => {
          const key = oneShotAgentId(r.principal);
          groups.set(key, [...(groups.get(key) ?? []), i]);
        });
        const out: OneShotResult[] = new Array(requests.length);
        await Promise.all(
          [...groups].map(async ([agentId, indexes]) => {
            const { value, session } = await this.s.oneShot.run(agentId, indexes.length, (s) => this.decideInSession(s.session_id, indexes.map((i) => requests[i] as AuthorizationRequest), null));
            value.forEach((r, j) => {
              out[indexes[j] as number] = { ...r, session_id: session.session_id, block_id: session.block_id };
            });
          }),
        );
        return out;
      },
    );
  }

  /** Closes every kernel-managed one-shot session into its Session Block and waits for them. */
  closeOneShotSessions(): Promise<void> {
    return this.s.oneShot.closeAll();
  }

  /** Counters for `GET /metrics`, with the gauges read now. */
  metricsSnapshot(): MetricsSnapshot {
    const live = this.s.policies.current();
    return {
      metrics: this.metrics,
      state: this.state.snapshot(),
      capProfile: { id: live.info.capProfileId, version: live.version, cedarPolicyHash: live.info.cedarPolicyHash },
      oneShotSessionsOpen: this.s.oneShot.openCount(),
    };
  }

  /** Under KEE_AUTH=agents a session call without a proven holder is refused (the HTTP layer checks it first). */
  private holderOrThrow(holder: SessionHolder | undefined): SessionHolder | null {
    if (this.authMode === 'agents' && holder === undefined) throw new DomainError('UNAUTHENTICATED', 'this session needs a session token and a DPoP proof (KEE_AUTH=agents)');
    return holder ?? null;
  }

  private decideInSession(sessionId: string, requests: readonly AuthorizationRequest[], holder: SessionHolder | null, options?: DecideOptions): Promise<AuthorizeResult[]> {
    return this.s.inSession.decide(sessionId, requests, holder, options);
  }

  /** Human escalations, newest first, optionally of one status (overdue ones resolved TIMEOUT_DENY first). */
  async listEscalations(status?: HemStatus): Promise<Escalation[]> {
    if (!this.started) await this.ready();
    return this.s.hem.list(status);
  }

  async getEscalation(hemId: string): Promise<Escalation> {
    if (!this.started) await this.ready();
    return this.s.hem.read(hemId);
  }

  /** An approver's answer to a PENDING escalation (`approver`: the operator token's subject). */
  async resolveEscalation(hemId: string, answer: HemAnswer, approver: string, comment: string | null): Promise<Escalation> {
    if (!this.started) await this.ready();
    return this.s.hem.resolve(hemId, answer, approver, comment);
  }

  /** Listens to escalations opened and resolved (the approvers' event stream); returns the unsubscribe function. */
  onEscalation(listener: (notice: HemNotice) => void): () => void {
    return this.s.hem.subscribe(listener);
  }

  /** Registers an agent (operator): its XPID is derived here, recorded as XPID_DERIVED with AGENT_REGISTERED. */
  async registerAgent(registration: AgentRegistration, operator: string): Promise<Agent> {
    if (!this.started) await this.ready();
    return this.s.agents.register(registration, operator);
  }

  async listAgents(): Promise<Agent[]> {
    if (!this.started) await this.ready();
    return this.s.agents.list();
  }

  async getAgent(agentId: string): Promise<Agent> {
    if (!this.started) await this.ready();
    return this.s.agents.read(agentId);
  }

  /** Suspends or reactivates a registered agent (AGENT_STATUS_CHANGED); CONFLICT once revoked. */
  async setAgentStatus(agentId: string, status: 'ACTIVE' | 'SUSPENDED', operator: string): Promise<Agent> {
    if (!this.started) await this.ready();
    return this.s.agents.setStatus(agentId, status, operator);
  }

  /** Revokes a registered agent for good (AGENT_REVOKED). */
  async revokeAgent(agentId: string, operator: string): Promise<Agent> {
    if (!this.started) await this.ready();
    const agent = await this.s.agents.revoke(agentId, operator);
    // P8: the agent's XPID joins the revocation registry, and travels to the SSF receivers
    await this.s.revocations.register({ kind: 'XPID', id: agent.xpid, subject: { agent_id: agent.agent_id, xpid: agent.xpid }, reason: 'agent revoked', revoking_principal: operator });
    return agent;
  }

  /**
   * Closes a session into a signed Session Block. Idempotent: closing a closed session returns
   * its block. The block is stored only once signed; a signing failure leaves the session
   * CLOSING so the close can be retried without a second SESSION_COMPLETE record.
   */
  async closeSession(sessionId: string, holder?: SessionHolder): Promise<SessionBlock> {
    if (!this.started) await this.ready();
    if (holder && holder.agentId !== (await this.sessionOrThrow(sessionId)).agent_id) throw new DomainError('UNAUTHENTICATED', 'the session token is not for this session');
    this.expiry.closed(sessionId);
    this.s.toolPermits.closed(sessionId);
    return this.s.blocks.close(await this.sessionOrThrow(sessionId));
  }

  /**
   * Records what a permitted tool call answered (TOOL_RESULT: digests, `tool-results/`) in the
   * open session of its decision, which must be a PERMIT of that session for that tool, not yet
   * followed by a TOOL_RESULT (CONFLICT otherwise); `holder` as for `authorize`.
   * `options.shareCommitMs`: the record waits up to that long for the session's next record to
   * share its transaction (one commit for both; see `AuditLog.append`); durable on resolve either
   * way. `options.queued` is called once the record has its place in the session's chain.
   */
  async recordToolResult(sessionId: string, report: ToolResultReport, holder?: SessionHolder, options?: { shareCommitMs?: number; queued?: () => void }): Promise<{ ale_seq: number }> {
    if (!this.started) await this.ready();
    const fields = toolResultFields(report, (text) => this.deps.merkle.sha256Hex(text));
    const own = this.holderOrThrow(holder);
    const session = await this.sessionOrThrow(sessionId);
    if (session.status !== 'OPEN') throw new DomainError('SESSION_CLOSED', `session \`${sessionId}\` is closed`);
    if (own && own.agentId !== session.agent_id) throw new DomainError('UNAUTHENTICATED', 'the session token is not for this session');
    await this.s.toolPermits.take(sessionId, report.decision_seq, report.tool);
    const appended = this.s.audit.append(session, TOOL_RESULT_ALE, fields, undefined, options?.shareCommitMs);
    // queued in the session's chain (the head is cached while the session is in use): what follows commits with it or after it
    options?.queued?.();
    const record = await appended;
    return { ale_seq: record.ale_seq };
  }

  getBlock(blockId: string): Promise<SessionBlock> {
    return this.s.blocks.getBlock(blockId);
  }

  getPackage(blockId: string): Promise<AuditPackage> {
    return this.s.blocks.getPackage(blockId);
  }

  async checkpoint(): Promise<Checkpoint> {
    if (!this.started) await this.ready();
    return this.s.blocks.checkpoint();
  }

  consistency(from: number, to: number): Promise<ConsistencyProof> {
    return this.s.blocks.consistency(from, to);
  }

  /** Inclusion proof of a block-log leaf (by index or block id) in the tree of `size` leaves (default: the whole log). */
  inclusion(leaf: { index: number } | { blockId: string }, size?: number): Promise<InclusionProof> {
    return this.s.blocks.inclusion(leaf, size);
  }

  /** The block-log entry at `index`: leaf hash and the verified Session Block. */
  logEntry(index: number): Promise<BlockLogEntry> {
    return this.s.blocks.logEntry(index);
  }

  /** The current GEC Manifest as served (JCS text), re-verified in memory and against the stored copy. */
  async manifest(): Promise<string> {
    if (!this.started) await this.ready();
    return this.manifests.read();
  }

  blockLogIndex(blockId: string): Promise<number | null> {
    return this.s.blocks.logIndex(blockId);
  }

  /**
   * P4: a signed CAP Profile update (JWS JSON general serialization). Verified against the
   * three configured publishers and the active profile; a refusal is recorded as
   * `CAP_PROFILE_REFUSED` in the kernel journal and thrown with its code; an accepted update
   * is activated.
   */
  async submitCapProfile(jws: unknown): Promise<CapProfileAccepted> {
    if (!this.started) await this.ready();
    return this.s.profileUpdates.submit(jws);
  }

  /** Policy transparency: the serving policies implementing a CAP-RRS control (CONTROL_NOT_FOUND if none). */
  async ptdControl(controlId: string): Promise<PtdControl> {
    if (!this.started) await this.ready();
    return ptdControl(this.s.policies.current(), controlId);
  }

  /** The active CAP Profile: id, version, hashes, policy ids and tiers. */
  activeCapProfile(): ActiveCapProfile {
    return this.s.capProfiles.active();
  }

  /**
   * The serving set's Cedar text with the facts that name it, read from one live set (so the
   * text is exactly what `cedar_policy_hash` was computed over). UNAVAILABLE if the engine does
   * not keep its source.
   */
  activePolicyText(): ActivePolicyText {
    const live = this.s.policies.current();
    const text = live.engine.source?.();
    if (!text) throw new DomainError('UNAVAILABLE', 'the serving policy engine does not keep the text of its policies');
    return {
      cap_profile_id: live.info.capProfileId,
      version: live.version,
      cap_profile_hash: live.capProfileHash,
      cedar_policy_hash: live.info.cedarPolicyHash,
      policy_ids: live.info.policyIds,
      policies: text.policies,
      schema: text.schema ?? null,
      ...(text.links ? { links: text.links } : {}),
    };
  }

  private async sessionOrThrow(sessionId: string): Promise<Session> {
    const session = await this.s.audit.io(() => this.deps.store.getSession(sessionId), false);
    if (!session) throw new DomainError('SESSION_NOT_FOUND', `no session \`${sessionId}\``);
    return session;
  }
}

