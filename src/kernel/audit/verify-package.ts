import type { AuditPackage } from './audit-package.ts';
import { StreamVerifier, type VerifyDeps, type VerifyResult } from './stream-verify.ts';

export type { VerifyDeps, VerifyFailure, VerifyResult } from './stream-verify.ts';

/**
 * Verifies an audit package held in memory: the streaming verifier over its records. Checks,
 * in order: the public key and its id, the block signature over (block_id, merkle_root,
 * block_close_timestamp), then each record's chain link and inclusion proof, then the count.
 */
export function verifyPackage(pkg: AuditPackage, deps: VerifyDeps, options: { expectedPublicKey?: string } = {}): VerifyResult {
  const v = new StreamVerifier(pkg, deps, options);
  const failed = v.begin();
  if (failed) return { ok: false, failure: failed };
  for (const entry of pkg.records) if (v.push(entry)) break;
  return v.end();
}
