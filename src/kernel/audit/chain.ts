import type { Merkle } from '../../ports/merkle.ts';
import type { AuditRecord } from '../types.ts';

const utf8 = new TextEncoder();

/** The canonical bytes of a record: RFC 8785 JCS, UTF-8. These are the Merkle leaf data. */
export function canonicalBytes(merkle: Merkle, record: unknown): { text: string; bytes: Uint8Array } {
  const text = merkle.canonicalize(record);
  return { text, bytes: utf8.encode(text) };
}

/** `prev_span_hash` of the record after `record`: SHA-256(JCS(record)), lowercase hex (choice 5.18). */
export function recordHash(merkle: Merkle, canonicalText: string): string {
  return merkle.sha256Hex(canonicalText);
}

export type ChainBreak = { index: number; ale_seq: number | undefined; reason: string };

/**
 * Checks a session's records in order: `ale_seq` runs 1..n, every record names the session and
 * block, the first `prev_span_hash` is null and each later one is the hash of its predecessor.
 * Returns the first break, or null when the chain is intact.
 */
export function findChainBreak(
  merkle: Merkle,
  records: readonly AuditRecord[],
  expect: { session_id: string; block_id: string },
): ChainBreak | null {
  let prevHash: string | null = null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as AuditRecord;
    const at = (reason: string): ChainBreak => ({ index: i, ale_seq: typeof r.ale_seq === 'number' ? r.ale_seq : undefined, reason });
    if (r.ale_seq !== i + 1) return at(`ale_seq is \`${String(r.ale_seq)}\`, expected \`${i + 1}\``);
    if (r.session_id !== expect.session_id) return at(`session_id \`${String(r.session_id)}\` is not the block's session`);
    if (r.block_id !== expect.block_id) return at(`block_id \`${String(r.block_id)}\` is not the block's id`);
    if (r.prev_span_hash !== prevHash) {
      return at(
        prevHash === null
          ? 'prev_span_hash of the first record must be null'
          : `prev_span_hash does not match the hash of record ${i} (ale_seq ${i})`,
      );
    }
    prevHash = recordHash(merkle, merkle.canonicalize(r));
  }
  return null;
}
