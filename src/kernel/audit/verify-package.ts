import type { Merkle } from '../../ports/merkle.ts';
import type { SignatureVerifier } from '../../ports/signer.ts';
import { fromHex, toHex } from '../hex.ts';
import type { AuditPackage } from './audit-package.ts';
import { blockSigningInput } from './block-signing.ts';
import { recordHash } from './chain.ts';

export type VerifyFailure = {
  /** What broke: the key, the block signature, one record's chain link or proof, or the root. */
  kind: 'public_key' | 'signature' | 'record' | 'proof' | 'root' | 'count';
  /** 0-based position of the record, when one is named. */
  index?: number;
  ale_seq?: number;
  message: string;
};

export type VerifyResult = { ok: true; block_id: string; records: number } | { ok: false; failure: VerifyFailure };

export type VerifyDeps = { merkle: Merkle; verifier: SignatureVerifier };

const utf8 = new TextEncoder();

/**
 * Verifies an audit package offline. Checks, in order: the public key and its id (and the
 * expected key, if given), the block signature over `(block_id, merkle_root,
 * block_close_timestamp)`, then each record in order (its chain link and its inclusion proof),
 * then the record count and the recomputed Merkle root. Stops at the first failure and names it.
 */
export function verifyPackage(pkg: AuditPackage, deps: VerifyDeps, options: { expectedPublicKey?: string } = {}): VerifyResult {
  const { merkle, verifier } = deps;
  const fail = (failure: VerifyFailure): VerifyResult => ({ ok: false, failure });
  const { block } = pkg;

  const pub = fromHex(pkg.public_key.public_key);
  if (!pub || pub.length !== 32) return fail({ kind: 'public_key', message: 'public key is not 32 bytes of lowercase hex' });
  const keyId = toHex(merkle.sha256(pub));
  if (pkg.public_key.key_id !== keyId) return fail({ kind: 'public_key', message: `key_id \`${pkg.public_key.key_id}\` is not SHA-256 of the public key` });
  if (options.expectedPublicKey !== undefined && options.expectedPublicKey.toLowerCase() !== pkg.public_key.public_key) {
    return fail({ kind: 'public_key', message: 'the package was not signed by the expected public key' });
  }
  if (block.block_signature.public_key !== pkg.public_key.public_key || block.block_signature.key_id !== keyId) {
    return fail({ kind: 'signature', message: 'the block names a different signing key than the package' });
  }

  const root = fromHex(block.merkle_root);
  const sig = fromHex(block.block_signature.signature);
  if (!root || root.length !== 32) return fail({ kind: 'root', message: 'merkle_root is not 32 bytes of lowercase hex' });
  if (!sig || sig.length !== 64 || !verifier.verify(sig, blockSigningInput(merkle, block), pub)) {
    return fail({ kind: 'signature', message: `block signature does not verify for block \`${block.block_id}\`` });
  }

  const size = pkg.records.length;
  if (block.record_count !== size) {
    return fail({ kind: 'count', message: `block declares ${block.record_count} records, package holds ${size}` });
  }

  let prevHash: string | null = null;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    const entry = pkg.records[i];
    if (!entry) return fail({ kind: 'record', index: i, message: `record ${i} is missing` });
    const r = entry.record;
    const seq = typeof r.ale_seq === 'number' ? r.ale_seq : undefined;
    const bad = (kind: 'record' | 'proof', message: string): VerifyResult =>
      fail({ kind, index: i, ...(seq === undefined ? {} : { ale_seq: seq }), message: `record ${i} (ale_seq ${String(r.ale_seq)}): ${message}` });
    if (entry.leaf_index !== i) return bad('record', `leaf_index is ${entry.leaf_index}, expected ${i}`);
    if (r.ale_seq !== i + 1) return bad('record', `ale_seq out of order, expected ${i + 1}`);
    if (r.block_id !== block.block_id || r.session_id !== block.session_id) return bad('record', 'belongs to another block or session');
    if (r.prev_span_hash !== prevHash) {
      return bad('record', i === 0 ? 'prev_span_hash of the first record must be null' : `prev_span_hash does not match record ${i - 1}`);
    }
    let canonical: string;
    try {
      canonical = merkle.canonicalize(r);
    } catch {
      return bad('record', 'is not canonicalizable JSON');
    }
    const leaf = utf8.encode(canonical);
    const proof: Uint8Array[] = [];
    for (const h of entry.inclusion_proof) {
      const b = fromHex(h);
      if (!b || b.length !== 32) return bad('proof', 'inclusion proof holds a value that is not a 32-byte hex hash');
      proof.push(b);
    }
    if (!merkle.verifyInclusion(leaf, i, size, proof, root)) return bad('proof', 'inclusion proof does not verify against merkle_root');
    leaves.push(leaf);
    prevHash = recordHash(merkle, canonical);
  }

  if (toHex(merkle.root(leaves)) !== block.merkle_root) return fail({ kind: 'root', message: 'recomputed Merkle root differs from merkle_root' });
  return { ok: true, block_id: block.block_id, records: size };
}
