import type { CheckpointVerifyResult } from '../kernel/audit/verify-checkpoint.ts';
import type { VerifyResult } from '../kernel/audit/stream-verify.ts';

/**
 * The one line `kee audit verify` prints for a package, shared with the console's Verify page
 * so that both name a broken place in the same words: `OK block …` or `FAIL <kind>: <message>`.
 */
export function packageVerdict(result: VerifyResult): string {
  if (result.ok) {
    const signers = result.signers ? `; FROST signers ${result.signers.join(', ')} (as the block names them)` : '';
    return `OK block ${result.block_id}: ${result.records} records, chain, inclusion proofs, Merkle root and Ed25519 signature verified${signers}`;
  }
  return `FAIL ${result.failure.kind}: ${result.failure.message}`;
}

/** The one line `kee audit verify-checkpoint` prints (shared with the console likewise). */
export function checkpointVerdict(result: CheckpointVerifyResult): string {
  if (!result.ok) return `FAIL ${result.failure.kind}: ${result.failure.message}`;
  const parts = [`OK checkpoint ${result.origin} size ${result.size} root ${result.root}: Ed25519 signature verified`];
  if (result.consistency) parts.push(`extends the checkpoint of size ${result.consistency.from} (consistency proof verified)`);
  if (result.inclusion) parts.push(`includes block ${result.inclusion.block_id} at index ${result.inclusion.leaf_index} (inclusion proof verified)`);
  return parts.join('; ');
}
