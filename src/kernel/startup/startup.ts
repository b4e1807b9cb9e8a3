import type { AcdService } from '../acd/acd-service.ts';
import type { BlockService } from '../audit/blocks.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { SigningMonitor } from '../audit/signing-monitor.ts';
import type { AgentRegistry } from '../agents/agent-registry.ts';
import { bootFields, bootSpanAttributes, KERNEL_BOOT, KERNEL_BOOT_SPAN } from '../boot/boot-record.ts';
import type { CapProfileUpdates } from '../cap-profile/profile-updates.ts';
import type { PolicyCluster } from '../cluster/policy-cluster.ts';
import type { RevocationRegistry } from '../credentials/revocations.ts';
import type { KernelDeps } from '../deps.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { HemService } from '../hem/hem-service.ts';
import type { ManifestRefresher } from '../manifest/manifest-refresh.ts';
import type { ManifestService } from '../manifest/manifest-service.ts';
import type { KernelMetrics } from '../metrics/kernel-metrics.ts';
import type { PolicyEpoch } from '../policy/activation.ts';
import type { PolicyRegistry } from '../policy/policy-registry.ts';
import type { Federation } from '../revocation/federation.ts';
import type { SessionExpiry } from '../sessions/session-expiry.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { Session } from '../types.ts';
import type { StoredDocument } from '../../ports/storage.ts';

/** The kernel's services the start runs, in its order (all wired before it). */
export interface StartupServices {
  readonly state: KernelState;
  readonly metrics: KernelMetrics;
  readonly kernelId: string;
  readonly audit: AuditLog;
  readonly journal: KernelJournal;
  readonly blocks: BlockService;
  readonly monitor: SigningMonitor;
  readonly expiry: SessionExpiry;
  readonly policies: PolicyRegistry;
  readonly profileUpdates: CapProfileUpdates;
  readonly manifests: ManifestService;
  readonly manifestRefresh: ManifestRefresher;
  readonly agents: AgentRegistry;
  readonly revocations: RevocationRegistry;
  readonly hem: HemService;
  readonly revocation: Federation;
  readonly acd: AcdService;
  readonly cluster: PolicyCluster | null;
  /** The serving policy set, as the manifest declares it. */
  activePolicy(): PolicyEpoch;
}

/** The ACD check at start: `pending`, null (passed) or its failure (the P3 requirement). */
export type AcdStartup = 'pending' | null | { failedCheck: number; reason: string };

/**
 * The kernel's start (KEE-1 Appendix A steps 1-3) and what it leaves: whether the kernel has
 * started, whether the first manifest was issued, the ACD startup check's outcome, and the
 * recovery of an earlier run's leftovers. Calls made before the start wait in `ready()`.
 */
export class Startup {
  started = false;
  /** The start issued its GEC Manifest: later activations are manifest epochs. */
  manifestIssued = false;
  /** The ACD check at start: `pending`, null (passed) or its failure (the P3 requirement). */
  acdStartup: AcdStartup = 'pending';
  revocationsLoaded = false;
  private starting: Promise<void> | null = null;
  /** The start's recovery of an earlier run's leftovers (see `recovered`). */
  private recovery: Promise<void> = Promise.resolve();
  private readonly deps: KernelDeps;
  private readonly s: StartupServices;

  constructor(deps: KernelDeps, services: StartupServices) {
    this.deps = deps;
    this.s = services;
  }

  /**
   * Starts the kernel: verifies the stored GEC Manifest chain (every epoch, and that a store
   * holding audit data holds a manifest), restores the latest stored CAP Profile (re-verified
   * through the P4 checks, or `deps.reloadCapProfile`; DENY_ALL if that fails), then issues the
   * GEC Manifest for the serving set, chained to the latest stored one. Until it has run, the
   * kernel opens no session, decides nothing and signs nothing (503 KERNEL_NOT_STARTED); calls
   * made while it runs wait for it. A stored chain that fails verification leaves the kernel
   * started in MANIFEST_INTEGRITY_FAILURE (deny-all from the first request, no signatures,
   * visible on /healthz); any other failure rejects, and start may be called again.
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      // P5: the stored manifest chain verifies, and reaches the audit data. Beside it, the state
      // decisions read, each replayed from its own stored log before any answer (registered
      // agents, the credential revocation registry, escalations, SSF streams, issued ACD records):
      // independent reads, run together so a start waits for the slowest, not for their sum
      this.s.policies.prefetchStored(); // the stored CAP Profile's read too (restored below)
      const [chain, ...loads] = await Promise.allSettled([
        this.s.manifests.verifyStore(),
        this.countOpenSessions(),
        this.s.agents.load(),
        this.s.revocations.refresh(),
        this.s.hem.refresh(),
        this.s.revocation.load(),
        this.s.acd.load(),
      ]);
      let intact = true;
      if (chain.status === 'rejected') {
        if (!isDomainError(chain.reason, 'MANIFEST_INTEGRITY_FAILURE')) {
          this.starting = null;
          throw chain.reason;
        }
        intact = false;
      }
      const failed = loads.find((l) => l.status === 'rejected');
      if (failed) {
        this.starting = null;
        throw failed.reason;
      }
      this.revocationsLoaded = true;
      // P8: the SSF outbox (what receivers are owed) before any request
      const restored = await this.s.revocation.restore().then(() => null, (e: unknown) => e ?? new Error('restore failed'));
      if (restored !== null) {
        this.starting = null;
        throw restored;
      }
      const signed = this.deps.capProfile ? (doc: StoredDocument) => this.s.profileUpdates.reloadSigned(doc) : undefined;
      await this.s.policies.restore(this.deps.reloadCapProfile ?? signed);
      try {
        if (intact) {
          await this.s.manifests.issue(this.s.activePolicy());
          this.manifestIssued = true;
        }
      } catch (e) {
        if (!isDomainError(e, 'MANIFEST_INTEGRITY_FAILURE')) {
          this.starting = null;
          throw e;
        }
      }
      try {
        await this.startupFourChecks();
      } catch (e) {
        // the store failed under the checks (nothing decided): start may be called again
        this.starting = null;
        throw e;
      }
      this.started = true;
      // timers do not outlive requests on workerd (no group commit there): escalations time out on read
      if (this.deps.options?.groupCommit !== false) this.s.hem.startTimers();
      // retries, polls and stream health run on a timer where timers outlive requests (not workerd)
      if (this.deps.options?.groupCommit !== false) this.s.revocation.startTimers();
      // what an earlier run left behind, then KERNEL_BOOT; on workerd once its first requests are answered (options.deferRecovery, recoveryGate)
      const gate = this.deps.options?.deferRecovery ? this.deps.options.recoveryGate : undefined;
      const recovery = gate ? gate().then(() => this.recoverLeftovers(), () => this.recoverLeftovers()) : this.recoverLeftovers();
      if (this.deps.options?.deferRecovery) this.recovery = recovery;
      else await recovery;
      // clustered: SYNCING (deny-all) until the committed version is read with a quorum and serves
      await this.s.cluster?.start();
    })();
    return this.starting;
  }

  /**
   * Sessions left CLOSING are closed, the journal block and the sessions an earlier run left
   * open are sealed and expired, then KERNEL_BOOT is journaled. Never rejects: what fails is left to the next round (signing
   * monitor, housekeeping timer, the session's own next call).
   */
  private async recoverLeftovers(): Promise<void> {
    await this.resumeClosing();
    if (this.manifestIssued) {
      await this.s.journal.recover().catch(() => undefined);
      await this.s.expiry.recover().catch(() => undefined);
      // Appendix A step 3: the identity and posture this start established, journaled and spanned
      await this.recordBoot();
    }
  }

  /** Settles once the start's recovery is done (at once unless `options.deferRecovery`; after `options.recoveryGate` when given). */
  recovered(): Promise<void> {
    return this.recovery;
  }

  /**
   * KERNEL_BOOT in the journal and span `soos.kernel.boot`: the kernel id, the manifest issued
   * (hash-lock, conformance level), the CAP Profile and the startup four checks. A start whose
   * journal cannot be written still serves (the audit log is SUSPENDED_GAR and says so).
   */
  private async recordBoot(): Promise<void> {
    try {
      const manifest = await this.s.manifests.current();
      const acd = this.acdStartup === 'pending' ? null : this.acdStartup;
      const fields = bootFields({ kernelId: this.s.kernelId, manifest, manifestHash: this.s.manifests.inForce(), startupCheck: acd, runtime: this.deps.runtime, state: this.s.state.snapshot().state });
      await this.deps.telemetry.span(KERNEL_BOOT_SPAN, { attributes: bootSpanAttributes(fields) }, () => this.s.journal.record(KERNEL_BOOT, fields));
    } catch {
      // the manifest cannot be verified or the store is failing: both are already fail-closed and journaled
    }
  }

  /**
   * KEE-1 Appendix A step 2: the ACD four checks once at start (no agent yet). A failure puts
   * the kernel in DENY_ALL (ACD_STARTUP_CHECK_FAILED in the journal) until a restart.
   */
  private async startupFourChecks(): Promise<void> {
    // already fail-closed, with its reason journaled: nothing to add
    if (this.s.state.has('MANIFEST_INTEGRITY_FAILURE') || this.s.state.has('DENY_ALL')) return;
    // (signing quorum: the manifest this start just signed is the proof it held)
    const failed = await this.s.acd.startupCheck();
    this.acdStartup = failed;
    if (!failed) return;
    this.s.state.enter('DENY_ALL', `ACD startup check ${failed.failedCheck} failed: ${failed.reason}`);
    await this.s.journal.anomaly('ACD_STARTUP_CHECK_FAILED', { failed_check: failed.failedCheck, reason: failed.reason });
    // the manifest issued before the check claimed P3: the next epoch lists it unmet
    if (this.manifestIssued) await this.s.manifestRefresh.refreshIfDue('the ACD four-check sequence failed at start').catch(() => undefined);
  }
  /**
   * Sessions a crash (or a signer outage before a restart) left CLOSING: their SESSION_COMPLETE
   * is durable but no block was signed. Each is closed now; one that still cannot be signed is
   * left to the signing monitor, which completes it once signing is back.
   */
  private async resumeClosing(): Promise<void> {
    let closing: Session[];
    try {
      closing = await this.s.audit.io(() => this.deps.store.sessionsWithStatus('CLOSING', 1_000), false);
    } catch {
      return; // the store is failing: SUSPENDED_GAR is set; a client's retry of the close completes it
    }
    for (const session of closing) {
      try {
        await this.s.blocks.close(session, 0);
      } catch {
        this.s.monitor.leftClosing(session.session_id);
      }
    }
  }

  /** Seeds the `sessions open` gauge from the store (sessions left open by earlier runs, up to 10,000). */
  private async countOpenSessions(): Promise<void> {
    try {
      this.s.metrics.sessionsOpen += (await this.deps.store.sessionsWithStatus('OPEN', 10_000)).length;
    } catch {
      // a failing store is reported by the first write; the gauge then counts this run only
    }
  }

  /** Waits for the start (KERNEL_NOT_STARTED if none ran, or it failed). */
  async ready(): Promise<void> {
    const starting = this.starting;
    if (!starting) throw new DomainError('KERNEL_NOT_STARTED', 'the kernel has not been started');
    try {
      await starting;
    } catch (e) {
      throw new DomainError('KERNEL_NOT_STARTED', 'the kernel failed to start', { cause: e });
    }
  }
}
