import type { Clock } from '../ports/clock.ts';
import type { Merkle } from '../ports/merkle.ts';
import type { PolicyEngine } from '../ports/policy.ts';
import type { SignatureVerifier, Signer } from '../ports/signer.ts';
import type { AuditStore } from '../ports/storage.ts';
import type { Telemetry } from '../ports/telemetry.ts';

/** Everything the kernel needs, supplied by an entry file (composition root). */
export type KernelDeps = {
  store: AuditStore;
  policy: PolicyEngine;
  signer: Signer;
  /** Ed25519 verification: every audit read re-verifies block signatures. */
  verifier: SignatureVerifier;
  merkle: Merkle;
  clock: Clock;
  telemetry: Telemetry;
  /** Which runtime hosts the kernel: reported by /healthz. */
  runtime: 'node' | 'bun' | 'deno' | 'workerd';
  /** Tuning and identity; all optional. */
  options?: {
    /** Most audit records per transaction (1 = one commit per record). Default 1,000. */
    maxBatch?: number;
    /** Audit batches committing at once (pipelined group commit). Default 2. */
    maxInFlight?: number;
    /**
     * Send an audit batch as soon as this many records wait (default: maxBatch). Set low (e.g.
     * 256) with a store that commits off the event loop (WorkerAuditStore).
     */
    eagerBatch?: number;
    /** false on runtimes where requests may not share promises (workerd): no group commit. */
    groupCommit?: boolean;
    /** Origin line (and key name) of block-log checkpoints. Default `kee.local/<kernel_id>`. */
    logOrigin?: string;
  };
};
