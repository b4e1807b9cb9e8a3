import type { Clock } from '../ports/clock.ts';
import type { Merkle } from '../ports/merkle.ts';
import type { ManifestInputs } from './manifest/manifest-service.ts';
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
  /** What the GEC Manifest declares about the build (version, level, WASM module hashes, publisher keys). */
  manifest: ManifestInputs;
  /** Tuning and identity; all optional. */
  options?: {
    /** Most audit records per transaction (1 = one commit per record). Default 1,000. */
    maxBatch?: number;
    /** false on runtimes where requests may not share promises (workerd): no group commit. */
    groupCommit?: boolean;
    /** Origin line (and key name) of block-log checkpoints. Default `kee.local/<kernel_id>`. */
    logOrigin?: string;
    /** Longest time between two full manifest re-verifications on the authorization path. Default 250 ms. */
    manifestRecheckMs?: number;
  };
};
