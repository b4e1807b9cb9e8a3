import type { SessionBlock } from '../kernel/types.ts';
import type { BlockLogLeaf } from '../ports/storage.ts';

/**
 * Row <-> domain mapping shared by the SQL stores (SQLite/libSQL/D1 and PostgreSQL): their
 * drizzle schemas use the same column names, only the dialect differs.
 */
export type BlockRow = {
  blockId: string;
  sessionId: string;
  merkleRoot: string;
  blockCloseTimestamp: string;
  recordCount: number;
  signatureAlgorithm: string;
  keyId: string;
  publicKey: string;
  signature: string;
  /** `block_signature.participants`, comma-separated (FROST), or null. */
  signers?: string | null;
};

export function blockToRow(block: SessionBlock): BlockRow {
  const s = block.block_signature;
  return {
    blockId: block.block_id,
    sessionId: block.session_id,
    merkleRoot: block.merkle_root,
    blockCloseTimestamp: block.block_close_timestamp,
    recordCount: block.record_count,
    signatureAlgorithm: s.algorithm,
    keyId: s.key_id,
    publicKey: s.public_key,
    signature: s.signature,
    signers: s.participants ? s.participants.join(',') : null,
  };
}

export function blockFromRow(r: BlockRow): SessionBlock {
  return {
    block_id: r.blockId,
    session_id: r.sessionId,
    merkle_root: r.merkleRoot,
    block_close_timestamp: r.blockCloseTimestamp,
    record_count: r.recordCount,
    block_signature: { algorithm: 'Ed25519', key_id: r.keyId, public_key: r.publicKey, signature: r.signature, ...(r.signers ? { participants: r.signers.split(',').map(Number) } : {}) },
  };
}

export function leafFromRow(r: { idx: number; blockId: string; leafHash: string }): BlockLogLeaf {
  return { index: r.idx, blockId: r.blockId, leafHash: r.leafHash };
}
