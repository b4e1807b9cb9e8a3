/**
 * The kernel's side of sidecar attestation (issue 21): at every manifest epoch (start and each
 * policy activation) it asks each signer sidecar for evidence over a fresh 32-byte nonce,
 * verifies it (`kernel/attestation/evidence.ts`), and returns the entries the Manifest declares.
 *
 * A sidecar whose evidence fails verification (bad binding, stale nonce, bad identity signature,
 * malformed report, debuggable guest, broken vendor chain) is treated like a lost signer until
 * an epoch's evidence verifies again: its guarded participant refuses every round and health
 * probe, so FROST signs with the others while t remain, and is SIGNING_SUSPENDED (never fewer
 * signers) otherwise. A sidecar that does not answer (or serves without `--attest`) is not
 * blocked — it is lost or not, as the signer finds — but its entry is `failed`, so the level
 * cannot be KEE1-L2 for that epoch.
 */
import { verifyAnswer, type TeeAttestationEntry, type VerifyDeps } from '../../kernel/attestation/evidence.ts';
import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { Participant, Round2Request } from '../frost/participant.ts';

/** A sidecar that can be asked for evidence. */
export interface Attestable {
  readonly id: number;
  attest(nonce: Uint8Array): Promise<unknown>;
}

export type AttestationGateOptions = VerifyDeps & {
  /** Identity keys pinned per participant (from the peers file); an answer naming another key fails. */
  pinned?: ReadonlyMap<number, Uint8Array>;
  /** How long one sidecar may take to answer (default 10 s: a TDX quote takes a while). */
  timeoutMs?: number;
};

export class AttestationGate {
  private readonly sources: readonly Attestable[];
  private readonly opts: AttestationGateOptions;
  /** Participants excluded from signing, with the reason. */
  private readonly blocked = new Map<number, string>();

  constructor(sources: readonly Attestable[], opts: AttestationGateOptions) {
    this.sources = sources;
    this.opts = opts;
  }

  /** Why `id` is excluded, or null. */
  excluded(id: number): string | null {
    return this.blocked.get(id) ?? null;
  }

  /** Fresh evidence from every sidecar, verified; updates which participants are excluded. */
  async collect(): Promise<TeeAttestationEntry[]> {
    return Promise.all(
      this.sources.map(async (s) => {
        const nonce = crypto.getRandomValues(new Uint8Array(32));
        let raw: unknown;
        try {
          raw = await withTimeout(s.attest(nonce), this.opts.timeoutMs ?? 10_000);
        } catch (e) {
          const reason = `no attestation from the sidecar: ${e instanceof Error ? e.message : String(e)}`;
          return { participant: s.id, provider: 'unreachable', nonce: toHex(nonce), status: 'failed', chain: 'not_checked', reason } satisfies TeeAttestationEntry;
        }
        const entry = await verifyAnswer(s.id, raw, nonce, this.opts, this.opts.pinned?.get(s.id));
        if (entry.status === 'failed') this.blocked.set(s.id, entry.reason ?? 'evidence failed verification');
        else this.blocked.delete(s.id);
        return entry;
      }),
    );
  }

  /** `p` refusing every request while its evidence is failed. */
  guard(p: Participant): Participant {
    const gate = this;
    const check = () => {
      const why = gate.excluded(p.id);
      if (why !== null) throw new DomainError('SIGNER_FAILED', `participant ${p.id} is excluded: its TEE evidence failed verification (${why})`);
    };
    return {
      id: p.id,
      async round1(sessionId: Uint8Array) {
        check();
        return p.round1(sessionId);
      },
      async round2(r: Round2Request) {
        check();
        return p.round2(r);
      },
      cancel: (sessionId: Uint8Array) => p.cancel(sessionId),
      async health(groupKey: Uint8Array) {
        check();
        if (p.health) await p.health(groupKey);
      },
    };
  }
}


function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
