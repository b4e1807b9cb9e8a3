/**
 * Quorum failure behaviour of the kernel's signer (KEE-1 §7.4, digest 2.2): with fewer than t
 * participants the kernel is SIGNING_SUSPENDED (no Session Block or checkpoint is signed, never
 * a single-signer fallback), the unavailable participants are named in a KERNEL_AUDIT_ANOMALY
 * and in an operator alert sent at once (well inside the 60 s the spec allows), and signing
 * comes back by itself: while suspended the participants are probed every few seconds, and once
 * t answer, a probe signature confirms it, the kernel leaves SIGNING_SUSPENDED and completes the
 * closes that gave up meanwhile (sessions left CLOSING), in the background.
 *
 * Outside a suspension a slower health check names a quorum loss before anyone needs a
 * signature, and alerts (warning) when some but not too many participants are down.
 */
import type { AlertSink, OperatorAlert } from '../../ports/alert.ts';
import type { Clock } from '../../ports/clock.ts';
import type { SignerFailureDetail, SignerHealth, Signer } from '../../ports/signer.ts';
import { DomainError } from '../errors.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { Json } from '../types.ts';
import type { KernelJournal } from './journal.ts';

export type SigningMonitorOptions = {
  /** How long a session close waits and retries for signing to come back (default 0: answer at once). */
  closeRetryMs?: number;
  /** Probe interval while suspended (default 2,000 ms). */
  probeIntervalMs?: number;
  /** Health check interval otherwise (default 15,000 ms); 0 turns it off. */
  healthIntervalMs?: number;
};

type Deps = {
  signer: Signer;
  clock: Clock;
  state: KernelState;
  journal: KernelJournal;
  alerts?: AlertSink | undefined;
  kernelId: string;
  options?: SigningMonitorOptions | undefined;
  /** Completes the close of a session left CLOSING (the block service's close). */
  completeClose: (sessionId: string) => Promise<unknown>;
};

const utf8 = new TextEncoder();
/**
 * Domain separation for the probe signature: block signing inputs are JCS objects (`{`), and
 * checkpoint notes start with their origin line, never with this prefix.
 */
const PROBE_PREFIX = 'kee-signing-probe/1\n';

const ids = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : []);

export class SigningMonitor {
  private readonly d: Deps;
  private readonly pending = new Set<string>();
  private waiters: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private lastDegraded = '';
  private probing = false;

  constructor(deps: Deps) {
    this.d = deps;
  }

  get closeRetryMs(): number {
    return this.d.options?.closeRetryMs ?? 0;
  }

  /** Starts the background probes (entries call this; tests drive it explicitly). */
  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A signature was made: leave SIGNING_SUSPENDED (and say so) if it held. */
  async succeeded(): Promise<void> {
    if (!this.d.state.has('SIGNING_SUSPENDED')) return;
    this.d.state.leave('SIGNING_SUSPENDED');
    const t = this.shape();
    await this.d.journal.anomaly('SIGNING_QUORUM_RESTORED', { severity: 'INFO', threshold: t.threshold, participants: t.participants });
    await this.send({ alert: 'SIGNING_QUORUM_RESTORED', severity: 'info', detail: 'kernel signing quorum is back; signing resumed' }, {});
    for (const w of this.waiters.splice(0)) w();
    this.schedule();
    void this.drainPending();
  }

  /** A signature could not be made: suspend, and on the first failure journal and alert. */
  async failed(err: DomainError): Promise<void> {
    if (err.code !== 'SIGNER_FAILED') return;
    const fresh = !this.d.state.has('SIGNING_SUSPENDED');
    this.d.state.enter('SIGNING_SUSPENDED', err.message);
    if (!fresh) return;
    const detail = err as DomainError & SignerFailureDetail;
    const unavailable = ids(detail.unavailable);
    const culprits = ids(detail.culprits);
    const t = this.shape();
    const fields: Record<string, Json> = {
      detail: err.message,
      unavailable_participants: unavailable,
      culprit_participants: culprits,
      threshold: t.threshold,
      participants: t.participants,
      available_count: t.participants === null ? null : Math.max(0, t.participants - unavailable.length - culprits.length),
    };
    await this.d.journal.anomaly('SIGNING_QUORUM_LOST', fields);
    await this.send({ alert: 'SIGNING_QUORUM_LOST', severity: 'critical', detail: err.message }, { unavailable, culprits });
    this.schedule();
  }

  /**
   * Participants sent signature shares that do not verify (a corrupt or malicious share): named
   * in the journal (`FROST_INVALID_SHARE`) and an alert, also when the others then signed.
   */
  async culprits(ids: readonly number[], detail: string): Promise<void> {
    const culprit = [...ids];
    await this.d.journal.anomaly('FROST_INVALID_SHARE', { culprit_participants: culprit, detail });
    await this.send({ alert: 'FROST_INVALID_SHARE', severity: 'critical', detail }, { culprits: culprit });
  }

  /** A close gave up waiting: it is completed in the background once signing is back. */
  leftClosing(sessionId: string): void {
    this.pending.add(sessionId);
  }

  /** Resolves true when signing comes back within `ms`, false otherwise. */
  waitForRecovery(ms: number): Promise<boolean> {
    if (!this.d.state.has('SIGNING_SUSPENDED')) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  /** One probe round: what the background timer runs; exposed for tests. */
  async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const health = await this.health();
      if (this.d.state.has('SIGNING_SUSPENDED')) {
        if (health && health.available.length < health.threshold) {
          this.d.state.enter('SIGNING_SUSPENDED', quorumMessage(health));
          return;
        }
        // t answer (or the signer cannot tell): confirm with a real signature
        try {
          await this.d.signer.sign(utf8.encode(`${PROBE_PREFIX}${this.d.kernelId}\n${this.d.clock.nowIso()}\n`));
        } catch {
          return;
        }
        await this.succeeded();
        return;
      }
      if (!health) return;
      if (health.available.length < health.threshold) {
        await this.failed(Object.assign(new DomainError('SIGNER_FAILED', quorumMessage(health)), { unavailable: health.unavailable }));
        return;
      }
      const key = health.unavailable.join(',');
      if (key !== this.lastDegraded && health.unavailable.length > 0) {
        await this.send(
          { alert: 'SIGNING_DEGRADED', severity: 'warning', detail: `frost participants ${key} do not answer; ${health.available.length} of ${health.participants} remain (t = ${health.threshold})` },
          { unavailable: health.unavailable },
        );
      }
      this.lastDegraded = key;
    } finally {
      this.probing = false;
      this.schedule();
    }
  }

  private async health(): Promise<SignerHealth | null> {
    if (!this.d.signer.probe) return null;
    try {
      return await this.d.signer.probe();
    } catch {
      return null;
    }
  }

  private schedule(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const suspended = this.d.state.has('SIGNING_SUSPENDED');
    const ms = suspended ? (this.d.options?.probeIntervalMs ?? 2_000) : (this.d.options?.healthIntervalMs ?? 15_000);
    this.timer = null;
    if (ms <= 0 || (!suspended && !this.d.signer.probe)) return;
    this.timer = setTimeout(() => void this.probe(), ms);
    // do not keep a process alive just to probe (Node, Bun, Deno timers have unref)
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async drainPending(): Promise<void> {
    for (const sessionId of [...this.pending]) {
      if (this.d.state.has('SIGNING_SUSPENDED')) return;
      try {
        await this.d.completeClose(sessionId);
        this.pending.delete(sessionId);
      } catch {
        // still failing: it stays pending for the next recovery (or the client's retry)
      }
    }
  }

  /** t and n from the signer's deployment constraint (`frost:t-of-n:2-3`), when it is a threshold key. */
  private shape(): { threshold: number | null; participants: number | null } {
    const m = /^frost:t-of-n:(\d+)-(\d+)$/.exec(this.d.signer.describe().deployment_constraint);
    return m ? { threshold: Number(m[1]), participants: Number(m[2]) } : { threshold: null, participants: null };
  }

  private async send(a: Pick<OperatorAlert, 'alert' | 'severity' | 'detail'>, who: { unavailable?: number[]; culprits?: number[] }): Promise<void> {
    if (!this.d.alerts) return;
    const t = this.shape();
    const unavailable = who.unavailable ?? [];
    const culprits = who.culprits ?? [];
    const alert: OperatorAlert = {
      ...a,
      at: this.d.clock.nowIso(),
      kernel_id: this.d.kernelId,
      threshold: t.threshold,
      participants: t.participants,
      available_count: t.participants === null ? null : Math.max(0, t.participants - unavailable.length - culprits.length),
      unavailable_participants: unavailable,
      culprit_participants: culprits,
      eta: null,
    };
    try {
      await this.d.alerts.alert(alert);
    } catch {
      // an alert sink must not break signing
    }
  }
}

function quorumMessage(h: SignerHealth): string {
  return `only ${h.available.length} of the ${h.threshold} required frost participants answer: participants ${h.unavailable.join(', ')} do not`;
}
