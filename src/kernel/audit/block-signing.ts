import type { Merkle } from '../../ports/merkle.ts';

/**
 * The signing input of a Session Block (digest choice 5.9): the JCS of
 * `{"block_id","merkle_root","block_close_timestamp"}`, UTF-8.
 */
export function blockSigningInput(
  merkle: Merkle,
  header: { block_id: string; merkle_root: string; block_close_timestamp: string },
): Uint8Array {
  return new TextEncoder().encode(
    merkle.canonicalize({
      block_id: header.block_id,
      merkle_root: header.merkle_root,
      block_close_timestamp: header.block_close_timestamp,
    }),
  );
}
