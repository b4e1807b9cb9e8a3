import type { AgentRegistry } from '../agents/agent-registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { SigningMonitor } from '../audit/signing-monitor.ts';
import type { RevocationRegistry } from '../credentials/revocations.ts';
import type { KernelDeps } from '../deps.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { ManifestService } from '../manifest/manifest-service.ts';
import type { PolicyRegistry } from '../policy/policy-registry.ts';
import type { KernelState } from '../state/kernel-state.ts';
import { provenanceOf } from '../policy/provenance.ts';
import { AcdService } from './acd-service.ts';
import { acdSubjects } from './subject.ts';

/** The kernel parts the ACD handshake reads (kernel.ts hands them over; nothing else is shared). */
export type AcdParts = {
  deps: KernelDeps;
  state: KernelState;
  journal: KernelJournal;
  /** The session audit log: ACD records are also chained into the AEP session they concern. */
  audit: AuditLog;
  kernelId: string;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  policies: () => PolicyRegistry;
  manifests: ManifestService;
  monitor: SigningMonitor;
  revocations: RevocationRegistry;
  agents: AgentRegistry;
  /** Why revocation status cannot be confirmed now (P8 receiver streams), or null. */
  unconfirmed: () => string | null;
};

/** Builds the kernel's ACD service over its live parts. */
export function createAcdService(p: AcdParts): AcdService {
  const { deps } = p;
  return new AcdService({
    state: p.state,
    clock: deps.clock,
    merkle: deps.merkle,
    telemetry: deps.telemetry,
    journal: p.journal,
    sessionRecord: async (sessionId, aleType, fields) => {
      const session = await p.io(() => deps.store.getSession(sessionId), false);
      if (!session || session.status !== 'OPEN') return false;
      try {
        await p.audit.append(session, aleType, fields);
        return true;
      } catch (e) {
        // closed meanwhile: the journal copy stands alone
        if (isDomainError(e, 'SESSION_CLOSED')) return false;
        throw e;
      }
    },
    kernelId: p.kernelId,
    options: deps.options?.acd,
    store: deps.store,
    io: p.io,
    mandateRequired: (deps.options?.auth ?? 'none') === 'agents',
    manifest: async () => {
      // full re-verification, the stored copy included (as before any kernel signature)
      await p.manifests.beforeSigning('issue an ACD Record');
      return p.manifests.current();
    },
    manifestLock: () => p.manifests.inForce(),
    livePolicy: () => p.policies().current().engine.active(),
    capProfileHash: () => p.policies().current().capProfileHash,
    controls: () =>
      [...provenanceOf(p.policies().current().engine).values()]
        .filter((x) => x.cap_rrs_control_id !== null)
        .map((x) => ({ cap_rrs_control_id: x.cap_rrs_control_id as string, cedar_policy_id: x.cedar_policy_id, tier: x.tier, authority_source_uri: x.authority_source_uri }))
        .sort((a, b) => (a.cap_rrs_control_id === b.cap_rrs_control_id ? (a.cedar_policy_id < b.cedar_policy_id ? -1 : 1) : a.cap_rrs_control_id < b.cap_rrs_control_id ? -1 : 1)),
    // what the serving set was activated under (a signed profile's `cedar_policy_hash` was checked equal to it)
    profilePolicyHash: () => p.policies().current().info.cedarPolicyHash,
    // Check 2: the serving set's hash computed again now by its engine (never the value kept from load)
    freshPolicyHash: () => {
      const engine = p.policies().current().engine;
      if (!engine.rehash) throw new DomainError('UNAVAILABLE', 'the serving policy engine cannot compute its policy hash again');
      return engine.rehash();
    },
    // the start's Check 2: the same, or the hash this engine's WASM computed for exactly the same text
    startupPolicyHash: () => {
      const engine = p.policies().current().engine;
      if (!engine.rehash) throw new DomainError('UNAVAILABLE', 'the serving policy engine cannot compute its policy hash again');
      return engine.rehash(true);
    },
    revoked: (kind, id) => p.revocations.isRevokedAs(kind, id),
    refreshRevocations: () => p.revocations.refresh(),
    revokedLoaded: (kind, id) => p.revocations.isRevokedLoaded(kind, id),
    unconfirmed: p.unconfirmed,
    quorumProblem: async () => (p.state.has('SIGNING_SUSPENDED') ? `the kernel signing quorum is not held: ${p.state.reason('SIGNING_SUSPENDED') ?? ''}` : null),
    subject: acdSubjects({
      store: deps.store,
      io: p.io,
      agent: async (agentId) => {
        await p.agents.catchUp();
        return p.agents.find(agentId);
      },
    }),
    sign: async (message) => {
      try {
        const signature = await deps.signer.sign(message);
        await p.monitor.succeeded();
        return signature;
      } catch (e) {
        const err = isDomainError(e) ? e : new DomainError('SIGNER_FAILED', 'the kernel could not sign', { cause: e });
        await p.monitor.failed(err);
        throw err;
      }
    },
  });
}
