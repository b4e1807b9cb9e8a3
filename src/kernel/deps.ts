import type { Clock } from '../ports/clock.ts';
import type { Merkle } from '../ports/merkle.ts';
import type { PolicyEngine } from '../ports/policy.ts';
import type { Signer } from '../ports/signer.ts';
import type { AuditStore } from '../ports/storage.ts';
import type { Telemetry } from '../ports/telemetry.ts';

/** Everything the kernel needs, supplied by an entry file (composition root). */
export type KernelDeps = {
  store: AuditStore;
  policy: PolicyEngine;
  signer: Signer;
  merkle: Merkle;
  clock: Clock;
  telemetry: Telemetry;
  /** Which runtime hosts the kernel: reported by /healthz. */
  runtime: 'node' | 'bun' | 'deno' | 'workerd';
};
