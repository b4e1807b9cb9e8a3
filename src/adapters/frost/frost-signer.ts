/**
 * The FROST signer (KEE-1 P2): a coordinator that runs the two rounds of RFC 9591 with t of the
 * n participants and aggregates their shares into one plain Ed25519 signature under the group key.
 *
 * Round 1 goes to t participants (those that answered last time first); each one that does not
 * answer is replaced by the next, so while t are up a signature is 2t requests. Fewer than t
 * answers: SIGNER_FAILED naming the unavailable participants (never a fallback to fewer signers).
 * A participant that fails in round 2 is left out and a new session is tried with the others. A
 * share that does not verify: the culprit is named (`onCulprits`) and left out, and the signature
 * is retried with the others while t remain; otherwise SIGNER_FAILED naming the culprits. Every
 * signature is verified (in the aggregation) before it is returned.
 */
import { DomainError } from '../../kernel/errors.ts';
import type { QuorumSignature, Signer, SignerDescription, SignerHealth } from '../../ports/signer.ts';
import type { KeeWasm, WasmFrostCoordinator } from '../wasm/load.ts';
import type { Participant } from './participant.ts';
import { parsePublicPackage, type FrostPublic } from './public-package.ts';

/** A signing failure with the participants involved, for the quorum-failure anomaly record. */
export class FrostSigningError extends DomainError {
  /** Participants that did not answer (or failed) in time. */
  readonly unavailable: readonly number[];
  /** Participants whose signature shares did not verify. */
  readonly culprits: readonly number[];

  constructor(message: string, detail: { unavailable?: number[]; culprits?: number[]; cause?: unknown }) {
    super('SIGNER_FAILED', message, { cause: detail.cause });
    this.name = 'FrostSigningError';
    this.unavailable = detail.unavailable ?? [];
    this.culprits = detail.culprits ?? [];
  }
}

export type FrostSignerOptions = {
  wasm: KeeWasm;
  /** The group's public package (`kee-frost` format): threshold, group key, verifying shares. */
  publicPackage: Uint8Array;
  participants: readonly Participant[];
  /** How long one round may take per participant (default 5000 ms). */
  roundTimeoutMs?: number;
  onCulprits?: (culprits: readonly number[], message: string) => void;
};

/** A participant failed in round 2: `sign` leaves it out and tries a new session with the others. */
class RoundTwoUnavailable extends FrostSigningError {}

const list = (ids: readonly number[]) => ids.join(', ');

/** Resolves with `p`'s value, or rejects after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class FrostSigner implements Signer {
  readonly algorithm = 'Ed25519' as const;
  readonly threshold: number;
  /** The public package parsed once in WASM (its points decoded and checked), for aggregation. */
  private readonly coordinator: WasmFrostCoordinator;
  private readonly pub: FrostPublic;
  private readonly participants: readonly Participant[];
  private readonly timeoutMs: number;
  /** Participants that did not answer their last request: asked after the others in round 1. */
  private readonly failing = new Set<number>();
  /** Told about participants that sent invalid shares, also when the signature then succeeds without them. */
  onCulprits: ((culprits: readonly number[], message: string) => void) | undefined;

  constructor(opts: FrostSignerOptions) {
    const pkg = opts.publicPackage.slice();
    this.pub = parsePublicPackage(pkg);
    this.threshold = this.pub.threshold;
    this.participants = [...opts.participants].sort((a, b) => a.id - b.id);
    this.timeoutMs = opts.roundTimeoutMs ?? 5000;
    this.onCulprits = opts.onCulprits;
    const ids = this.participants.map((p) => p.id);
    if (new Set(ids).size !== ids.length) throw new DomainError('INVALID_INPUT', `participants repeat an identifier: ${list(ids)}`);
    const unknown = ids.filter((id) => !this.pub.verifyingShares.has(id));
    if (unknown.length > 0) throw new DomainError('INVALID_INPUT', `participants ${list(unknown)} are not in the public package`);
    const coordinator = opts.wasm.FrostCoordinator.load(pkg);
    if (coordinator.type === 'failure') throw new DomainError('INVALID_INPUT', `public package: ${coordinator.error.message}`, { cause: coordinator.error });
    this.coordinator = coordinator.value;
  }

  publicKey(): Uint8Array {
    return this.pub.groupKey.slice();
  }

  /** `frost:t-of-n:<t>-<n>`, the GEC Manifest's deployment constraint. */
  get config(): string {
    return `frost:t-of-n:${this.threshold}-${this.pub.verifyingShares.size}`;
  }

  describe(): SignerDescription {
    return { scheme: 'frost', deployment_constraint: this.config, hardware_backed: false };
  }

  /**
   * Signs with t participants. When some send invalid shares, they are reported to
   * `onCulprits` and left out, and a new session is tried with the others while t remain; a
   * participant that fails in round 2 (it went away between the rounds) is left out the same way
   * (without being blamed), so one participant lost mid-signature does not fail it while t are up.
   */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return (await this.signWithQuorum(message)).signature;
  }

  /** `sign`, answering also which t participants' shares were aggregated (ascending identifiers). */
  async signWithQuorum(message: Uint8Array): Promise<QuorumSignature> {
    const culprits: number[] = [];
    const dropped: number[] = [];
    for (;;) {
      try {
        return await this.attempt(message, culprits, dropped);
      } catch (e) {
        if (!(e instanceof FrostSigningError)) throw e;
        if (e instanceof RoundTwoUnavailable) {
          dropped.push(...e.unavailable);
          continue; // the next attempt asks the others; with fewer than t left it fails naming everyone down
        }
        if (e.culprits.length === 0) throw e;
        culprits.push(...e.culprits);
        this.onCulprits?.(e.culprits, e.message);
        if (this.participants.filter((p) => !culprits.includes(p.id)).length < this.threshold) {
          const all = [...culprits].sort((a, b) => a - b);
          throw new FrostSigningError(`frost participants ${list(all)} sent invalid signature shares`, { culprits: all, unavailable: e.unavailable as number[], cause: e.cause });
        }
      }
    }
  }

  /**
   * One signing session. Round 1 goes to t participants only (those that answered last time
   * first, lowest identifiers first); for each that does not answer, the next one is asked, so a
   * signature costs 2t requests while t are up, and a participant that is down is asked again
   * only when the others are not enough.
   */
  private async attempt(message: Uint8Array, culprits: readonly number[], dropped: readonly number[]): Promise<QuorumSignature> {
    const t = this.threshold;
    const pool = this.participants.filter((p) => !culprits.includes(p.id) && !dropped.includes(p.id));
    const order = [...pool.filter((p) => !this.failing.has(p.id)), ...pool.filter((p) => this.failing.has(p.id))];
    const sessionId = crypto.getRandomValues(new Uint8Array(16));
    const ready: { p: Participant; commitments: Uint8Array }[] = [];
    const unavailable: number[] = [...dropped];
    for (let next = 0; ready.length < t && next < order.length; ) {
      const batch = order.slice(next, next + t - ready.length);
      next += batch.length;
      const answers = await Promise.allSettled(batch.map((p) => withTimeout(p.round1(sessionId), this.timeoutMs)));
      answers.forEach((a, i) => {
        const p = batch[i] as Participant;
        if (a.status === 'fulfilled' && a.value.length === 64) {
          ready.push({ p, commitments: a.value });
          this.failing.delete(p.id);
        } else {
          unavailable.push(p.id);
          this.failing.add(p.id);
        }
      });
    }
    const missingFromKey = [...this.pub.verifyingShares.keys()].filter((id) => !this.participants.some((p) => p.id === id));
    const down = [...unavailable, ...missingFromKey].sort((a, b) => a - b);
    if (ready.length < t) {
      void this.cancelAll(ready.map((r) => r.p), sessionId); // not awaited: a hung participant must not delay the answer
      throw new FrostSigningError(`only ${ready.length} of the ${t} required frost participants are available: participants ${list(down)} did not answer`, {
        unavailable: down,
      });
    }

    // Round 2 with the t that committed, in identifier order.
    const chosen = ready.sort((a, b) => a.p.id - b.p.id);
    const ids = chosen.map((c) => c.p.id);
    const commitments = new Uint8Array(64 * t);
    chosen.forEach((c, i) => commitments.set(c.commitments, 64 * i));
    const request = { sessionId, message, ids, commitments };
    const shares = await Promise.allSettled(chosen.map((c) => withTimeout(c.p.round2(request), this.timeoutMs)));
    const failed = chosen.filter((_, i) => shares[i]?.status !== 'fulfilled').map((c) => c.p.id);
    if (failed.length > 0) {
      for (const id of failed) this.failing.add(id);
      void this.cancelAll(chosen.map((c) => c.p), sessionId); // not awaited: the retry must not wait on the one that failed
      const first = shares.find((s) => s.status === 'rejected');
      throw new RoundTwoUnavailable(`frost round 2 failed at participants ${list(failed)}`, {
        unavailable: failed,
        cause: first?.status === 'rejected' ? first.reason : undefined,
      });
    }
    const flat = new Uint8Array(32 * t);
    shares.forEach((s, i) => {
      if (s.status === 'fulfilled') flat.set(s.value.subarray(0, 32), 32 * i);
    });
    const r = this.coordinator.aggregate(message, Uint16Array.from(ids), commitments, flat);
    if (r.type === 'failure') {
      const culprits = r.error.culprits ?? [];
      const message_ = culprits.length > 0 ? `frost participants ${list(culprits)} sent invalid signature shares` : `frost aggregation failed: ${r.error.message}`;
      throw new FrostSigningError(message_, { culprits, cause: r.error });
    }
    // aggregate returns only signatures that verify under the group key (frost-core checks the
    // aggregate and, when it fails, blames shares or fails with SIGNER_FAILED).
    return { signature: r.value, participants: ids };
  }

  /** Which participants answer a health check now (in-process ones always do). No signing. */
  async probe(): Promise<SignerHealth> {
    const checks = await Promise.allSettled(this.participants.map((p) => withTimeout(p.health ? p.health(this.pub.groupKey) : Promise.resolve(), this.timeoutMs)));
    const available = this.participants.filter((_, i) => checks[i]?.status === 'fulfilled').map((p) => p.id);
    const unavailable = [...this.pub.verifyingShares.keys()].filter((id) => !available.includes(id)).sort((a, b) => a - b);
    return { threshold: this.threshold, participants: this.pub.verifyingShares.size, available, unavailable };
  }

  /** Drops `sessionId`'s nonces at each of `ps`; never rejects. */
  private async cancelAll(ps: Participant[], sessionId: Uint8Array): Promise<void> {
    await Promise.allSettled(ps.map((p) => withTimeout(p.cancel(sessionId), this.timeoutMs)));
  }
}
