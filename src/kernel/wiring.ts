import type { AcdService } from './acd/acd-service.ts';
import { createAcdService } from './acd/wiring.ts';
import { MANIFEST_STALENESS_MAX_SECONDS } from './acd/acd-record.ts';
import { PartyRegistryService } from './party-registry/party-registry-service.ts';
import { AuditLog } from './audit/audit-log.ts';
import { BlockService } from './audit/blocks.ts';
import { JOURNAL_AGENT_ID, KernelJournal } from './audit/journal.ts';
import { SigningMonitor } from './audit/signing-monitor.ts';
import { Housekeeping } from './sessions/housekeeping.ts';
import { SessionExpiry } from './sessions/session-expiry.ts';
import { SessionOpener } from './sessions/session-open.ts';
import { OperatorAuth } from './auth/operator-roles.ts';
import { AgentRegistry } from './agents/agent-registry.ts';
import { AgentAuthenticator, type AuthMode } from './auth/agent-auth.ts';
import { DecisionFeed } from './decision-feed/feed.ts';
import { OneShotSessions } from './authorize/one-shot.ts';
import { InSessionDecisions } from './authorize/in-session.ts';
import { CapProfileHistory } from './cap-profile/history.ts';
import { CapProfileRegistry } from './cap-profile/registry.ts';
import { CapProfileUpdates } from './cap-profile/profile-updates.ts';
import { governmentNonconformance, type DeploymentConformance } from './cap-profile/conformance.ts';
import type { KernelDeps } from './deps.ts';
import { CredentialIssuer } from './credentials/issuer.ts';
import { RevocationRegistry } from './credentials/revocations.ts';
import { Federation } from './revocation/federation.ts';
import { randomTraceId, toHex } from './hex.ts';
import type { PolicyActivation, PolicyCandidate, PolicyEpoch } from './policy/activation.ts';
import { PolicyRegistry } from './policy/policy-registry.ts';
import { DEFAULT_HEM_TIMEOUT_S } from './hem/escalation.ts';
import { HemService } from './hem/hem-service.ts';
import { PolicyCluster } from './cluster/policy-cluster.ts';
import { reportClusterRefusal } from './cluster/refusal.ts';
import { ManifestService } from './manifest/manifest-service.ts';
import { ManifestRefresher } from './manifest/manifest-refresh.ts';
import { KERNEL_REQUIREMENTS, type kernelRequirements } from './conformance/kernel-requirements.ts';
import { KernelMetrics } from './metrics/kernel-metrics.ts';
import { KernelState } from './state/kernel-state.ts';
import { Startup } from './startup/startup.ts';
import type { Json, Session, SessionBlock } from './types.ts';
import { ToolPermits } from './tool-results/permits.ts';

/** The kernel's services, wired together by `wireKernel` (the `Kernel` is their facade). */
export interface KernelServices {
  readonly state: KernelState;
  readonly metrics: KernelMetrics;
  readonly decisions: DecisionFeed;
  readonly kernelId: string;
  readonly audit: AuditLog;
  /** The PERMITs a TOOL_RESULT may follow (`tool-results/permits.ts`). */
  readonly toolPermits: ToolPermits;
  readonly blocks: BlockService;
  readonly journal: KernelJournal;
  readonly expiry: SessionExpiry;
  /** The timer of journal seals and session expiry (`tick()` runs it once). */
  readonly housekeeping: Housekeeping;
  readonly policies: PolicyRegistry;
  readonly capProfiles: CapProfileRegistry;
  readonly capProfileHistory: CapProfileHistory;
  readonly partyRegistry: PartyRegistryService;
  /** Verified CAP Profiles between their verification and their swap, by version (committed by the epoch hook). */
  readonly profileUpdates: CapProfileUpdates;
  readonly monitor: SigningMonitor;
  readonly manifests: ManifestService;
  readonly oneShot: OneShotSessions;
  readonly operators: OperatorAuth;
  readonly agents: AgentRegistry;
  readonly credentials: CredentialIssuer;
  readonly revocations: RevocationRegistry;
  /** Human escalations (HEM): opened by `@hem` DENYs, answered by approvers. */
  readonly hem: HemService;
  readonly revocation: Federation;
  readonly issuer: string;
  readonly authMode: AuthMode;
  /** P1 policy cluster member (`KEE_CLUSTER_ETCD`), or null for a single kernel. */
  readonly cluster: PolicyCluster | null;
  readonly agentAuth: AgentAuthenticator;
  /** P3: the ACD four-check handshake and signed ACD Records (docs/acd.md). */
  readonly acd: AcdService;
  /** Re-issues the manifest before Check 1 finds it stale, and when P3 / P8 change (under the activation mutex). */
  readonly manifestRefresh: ManifestRefresher;
  /** The start and what it leaves (started, first manifest issued, ACD startup check): `startup/startup.ts`. */
  readonly startup: Startup;
  /** Decisions in an open session: `authorize/in-session.ts`. */
  readonly inSession: InSessionDecisions;
  /** Opens sessions (SESSION_OPEN first): `sessions/session-open.ts`. */
  readonly opener: SessionOpener;
}

/** What the services call back on the kernel facade (all called after the wiring). */
export interface KernelCalls {
  open(agentId: string, jkt?: string, tokenJti?: string, kernelSession?: { sessionId: string; blockId: string; fields: Record<string, Json> }): Promise<Session>;
  closeSession(sessionId: string): Promise<SessionBlock>;
  activatePolicy(candidate: PolicyCandidate): Promise<PolicyActivation>;
  activePolicy(): PolicyEpoch & { activatedAt: string | null };
  ownRequirements(): ReturnType<typeof kernelRequirements>;
  sessionOrThrow(sessionId: string): Promise<Session>;
}

/**
 * Builds every kernel service from the ports, in dependency order. Services that need one built
 * later read it from `s` when called (never during the wiring), as they read the kernel's fields
 * before.
 */
export function wireKernel(deps: KernelDeps, kernel: KernelCalls): KernelServices {
  const s = { state: new KernelState(), metrics: new KernelMetrics(), decisions: new DecisionFeed() } as { -readonly [K in keyof KernelServices]: KernelServices[K] };
  s.operators = new OperatorAuth(deps.operatorTokens);
  // the level a government profile is checked against: the one the manifest in force computed from what runs (KEE1-L1 before the first)
  const manifestsNow = (): ManifestService | undefined => s.manifests;
  const conformance: DeploymentConformance = {
    get level() {
      return manifestsNow()?.conformance()?.level ?? 'KEE1-L1';
    },
    allowNonconformant: deps.options?.allowNonconformant === true,
  };
  s.capProfiles = new CapProfileRegistry(deps.capProfile, deps.policy.active(), conformance);
  s.kernelId = toHex(deps.merkle.sha256(deps.signer.publicKey()));
  s.audit = new AuditLog({
    ...deps,
    state: s.state,
    kernelId: s.kernelId,
    ...(deps.options?.maxBatch ? { maxBatch: deps.options.maxBatch } : {}),
    ...(deps.options?.groupCommit === false ? { groupCommit: false } : {}),
    ...(deps.options?.maxInFlight ? { maxInFlight: deps.options.maxInFlight } : {}),
    ...(deps.options?.eagerBatch ? { eagerBatch: deps.options.eagerBatch } : {}),
    metrics: s.metrics,
  });
  s.oneShot = new OneShotSessions(
    {
      open: (agentId) => kernel.open(agentId),
      close: (sessionId) => kernel.closeSession(sessionId),
      nowMs: () => Date.parse(deps.clock.nowIso()),
    },
    deps.options?.oneShot,
    deps.options?.groupCommit !== false,
  );
  const nowMs = () => Date.parse(deps.clock.nowIso());
  const io = <T>(op: () => Promise<T>, write: boolean) => s.audit.io(op, write);
  const journal = new KernelJournal(
    {
      log: s.audit,
      store: deps.store,
      io,
      nowMs,
      newBlockId: () => randomTraceId(16),
      newSessionId: () => crypto.randomUUID(),
      open: (ids, fields) => kernel.open(JOURNAL_AGENT_ID, undefined, undefined, { ...ids, fields }),
      seal: (session, fields, retryMs) => s.blocks.close(session, retryMs, fields),
      shared: deps.options?.groupCommit !== false,
    },
    deps.options?.journal,
  );
  s.journal = journal;
  s.profileUpdates = new CapProfileUpdates({
    registry: s.capProfiles,
    clock: deps.clock,
    journal,
    refusalsPerMinute: deps.options?.capRefusalsPerMinute,
    cluster: () => s.cluster,
    current: () => s.policies.current(),
    activate: (candidate) => kernel.activatePolicy(candidate),
  });
  s.expiry = new SessionExpiry(
    {
      store: deps.store,
      io,
      nowMs,
      record: async (session, fields) => void (await s.audit.append(session, 'SESSION_EXPIRED', fields)),
      close: (session) => s.blocks.close(session),
      exempt: (session) => session.agent_id === JOURNAL_AGENT_ID,
    },
    deps.options?.sessions,
  );
  s.housekeeping = new Housekeeping([() => s.journal.sealIfDue(), () => s.expiry.sweep(), async () => void (await s.manifestRefresh.refreshIfDue())], Math.min(deps.options?.journal?.blockMs ?? 60_000, s.expiry.options.idleMs) / 4);
  s.agents = new AgentRegistry({
    store: deps.store,
    journal,
    clock: deps.clock,
    merkle: deps.merkle,
    xpid: deps.xpid,
    kernelId: s.kernelId,
    io: (op, write) => s.audit.io(op, write),
    queue: deps.options?.groupCommit !== false,
  });
  s.issuer = deps.options?.logOrigin ?? `kee.local/${s.kernelId}`;
  s.credentials = new CredentialIssuer({
    tokens: deps.tokens,
    hasher: deps.intentHasher,
    xpid: deps.xpid,
    sha256: (b) => deps.merkle.sha256(b),
    clock: deps.clock,
    kernelId: s.kernelId,
    issuer: s.issuer,
    registeredXpid: (agentId) => s.agents.xpidOf(agentId),
  });
  s.authMode = deps.options?.auth ?? 'agents';
  s.agentAuth = new AgentAuthenticator({
    proofs: deps.agentProofs,
    tokens: deps.tokens,
    clock: deps.clock,
    issuer: s.issuer,
    agent: async (agentId) => {
      await s.agents.catchUp();
      return s.agents.find(agentId);
    },
    ...(deps.replayStore ? { replay: deps.replayStore } : {}),
  });
  s.hem = new HemService({
    store: deps.store,
    clock: deps.clock,
    journal,
    telemetry: deps.telemetry,
    ...(deps.alerts ? { alerts: deps.alerts } : {}),
    kernelId: s.kernelId,
    io: (op, write) => s.audit.io(op, write),
    timeoutS: deps.options?.hemTimeoutS ?? DEFAULT_HEM_TIMEOUT_S,
    queue: deps.options?.groupCommit !== false,
  });
  s.revocations = new RevocationRegistry({ store: deps.store, clock: deps.clock, journal, io: (op, write) => s.audit.io(op, write), issuer: s.issuer });
  s.revocation = new Federation({
    store: deps.store,
    io: (op, write) => s.audit.io(op, write),
    registry: s.revocations,
    journal,
    tokens: deps.tokens,
    issuer: s.issuer,
    kernelId: s.kernelId,
    nowMs: () => Date.parse(deps.clock.nowIso()),
    nowIso: () => deps.clock.nowIso(),
    telemetry: deps.telemetry,
    alerts: deps.alerts,
    setVerifier: deps.setVerifier,
    fetch: deps.fetch,
    options: deps.options?.revocation,
  });
  s.capProfileHistory = new CapProfileHistory({ store: deps.store, io: (op, write) => s.audit.io(op, write) });
  s.partyRegistry = new PartyRegistryService({ store: deps.store, io: (op, write) => s.audit.io(op, write), clock: deps.clock, journal, publisherKeys: deps.capProfile?.publisherKeys, jws: deps.capProfile?.jws, kiaId: s.kernelId, publicKeyHex: toHex(deps.signer.publicKey()) });
  s.monitor = new SigningMonitor({
    signer: deps.signer,
    clock: deps.clock,
    state: s.state,
    journal,
    alerts: deps.alerts,
    kernelId: s.kernelId,
    options: deps.options?.signing,
    completeClose: async (sessionId) => s.blocks.close(await kernel.sessionOrThrow(sessionId), 0),
  });
  s.manifests = new ManifestService({
    ...deps,
    state: s.state,
    journal,
    kernelId: s.kernelId,
    livePolicy: () => s.policies.current().engine.active(),
    // P3 and P8 (issue 21's hook), beside whatever the entry declares
    inputs: { ...deps.manifest, requirements: () => [...(deps.manifest.requirements?.() ?? []), ...kernel.ownRequirements()], tokenKeys: [{ kid: deps.tokens.kid, public_key: deps.tokens.publicKeyHex }], publisherKeys: deps.manifest.publisherKeys ?? deps.capProfile?.publisherKeys.map((k) => toHex(k)) ?? [], xpidDerivationVersion: deps.xpid.version, agentAuthentication: s.authMode },
    io: (op, write) => s.audit.io(op, write),
    recheckMs: deps.options?.manifestRecheckMs ?? 250,
    reuseForMs: ((deps.options?.acd?.manifestMaxAgeSeconds ?? MANIFEST_STALENESS_MAX_SECONDS) * 1000) / 2, revoked: (id) => s.revocations.isRevokedLoaded('GEC_MANIFEST', id),
    // a government profile below KEE1-L3 (accepted only under the development switch) is named in the manifest
    nonconformance: (epoch) => (s.profileUpdates.profileKind(epoch.version) === 'government' ? governmentNonconformance(conformance) : null),
  });
  s.toolPermits = new ToolPermits((sid) => s.audit.io(() => deps.store.listRecords(sid), false));
  s.blocks = new BlockService(deps, s.audit, journal, s.state, s.kernelId, s.monitor, (what) => s.manifests.beforeSigning(what), s.manifests);
  s.policies = new PolicyRegistry(
    {
      factory: deps.policyFactory,
      store: deps.store,
      clock: deps.clock,
      state: s.state,
      journal,
      io: (op, write) => s.audit.io(op, write),
      queue: deps.options?.groupCommit !== false,
    },
    deps.policy,
  );
  // The active CAP Profile's facts (GET /v1/cap-profile, the rollback and catalog checks) change
  // in the same turn as the swap of the set they describe.
  s.policies.onEpoch(async (next) => () => {
    const verified = s.profileUpdates.pending.get(next.version);
    if (verified) s.capProfiles.commit(verified, next, deps.clock.nowIso());
  });
  s.cluster = deps.cluster
    ? new PolicyCluster({
        consensus: deps.cluster.consensus,
        state: s.state,
        clock: deps.clock,
        servingVersion: () => s.policies.current().version,
        servingHash: () => s.policies.current().capProfileHash,
        apply: (c) => s.profileUpdates.applyCommitted(c),
        refused: (f) => reportClusterRefusal({ journal, alerts: deps.alerts, kernelId: s.kernelId, at: deps.clock.nowIso() }, f),
        ...(deps.cluster.options ? { options: deps.cluster.options } : {}),
      })
    : null;
  // P5 / choice 5.6, the manifest epoch: every activation after start signs and stores the next
  // manifest first, and it becomes current in the same turn as the swap. (The activation that
  // restores the stored profile at start runs before the first manifest, which then declares it.)
  s.policies.onEpoch((next) => (s.startup.manifestIssued ? s.manifests.prepareEpoch(next) : Promise.resolve(() => undefined)));
  const { manifests, monitor, revocations, agents } = s;
  s.manifestRefresh = new ManifestRefresher({
    issuedFacts: () => manifests.issuedFacts(),
    prepareEpoch: (next) => manifests.prepareEpoch(next),
    exclusive: (fn) => s.policies.exclusive(fn),
    livePolicy: () => kernel.activePolicy(),
    nowMs,
    windowSeconds: deps.options?.acd?.manifestMaxAgeSeconds ?? MANIFEST_STALENESS_MAX_SECONDS,
    unmetNow: () => kernel.ownRequirements().filter((r) => !r.met).map((r) => r.requirement),
    owned: KERNEL_REQUIREMENTS,
    blocked: () => s.state.reason('MANIFEST_INTEGRITY_FAILURE') ?? null,
    journal,
  });
  s.acd = createAcdService({ deps, state: s.state, journal, audit: s.audit, kernelId: s.kernelId, io: (op, write) => s.audit.io(op, write), policies: () => s.policies, manifests, monitor, revocations, agents, unconfirmed: () => s.revocation.receiver.unconfirmed() });
  // last: what runs the start, decides in sessions and opens them, over the services above
  s.startup = new Startup(deps, { ...s, activePolicy: () => kernel.activePolicy() });
  s.inSession = new InSessionDecisions(deps, { ...s, sessionOrThrow: (sessionId) => kernel.sessionOrThrow(sessionId) });
  s.opener = new SessionOpener(deps, s);
  return s;
}
