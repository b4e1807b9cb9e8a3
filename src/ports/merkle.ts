/**
 * Hashing, JCS canonicalization and RFC 9162 Merkle trees. Implemented by the Rust crate
 * compiled to WASM (`adapters/wasm/merkle.ts`); a pure TypeScript implementation exists
 * for tests and benchmarks (`adapters/memory/js-merkle.ts`).
 */
export interface Merkle {
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex digits (an audit record's hash). */
  sha256Hex(text: string): string;
  /** RFC 8785 canonical JSON text of a JSON value. Throws DomainError INVALID_INPUT. */
  canonicalize(value: unknown): string;
  /** RFC 9162 §2.1.1 Merkle Tree Hash over raw leaf data. */
  root(leaves: readonly Uint8Array[]): Uint8Array;
  /** The root and an RFC 9162 §2.1.3.1 inclusion proof for every leaf, in one call. */
  rootAndProofs(leaves: readonly Uint8Array[]): { root: Uint8Array; proofs: Uint8Array[][] };
  /** RFC 9162 §2.1.1 root over leaf hashes (each already SHA-256(0x00 || data)). */
  rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array;
  /** RFC 9162 §2.1.3.1 inclusion proof (audit path) of leaf `index` over leaf hashes (each already SHA-256(0x00 || data)). */
  inclusionProof(hashes: readonly Uint8Array[], index: number): Uint8Array[];
  /** RFC 9162 §2.1.4.1 consistency proof from the first `oldSize` leaves to all of `hashes`. */
  consistencyProof(hashes: readonly Uint8Array[], oldSize: number): Uint8Array[];
  /** RFC 9162 §2.1.4.2: true only if `proof` proves the tree of `oldSize` with `oldRoot` is a prefix of the tree of `newSize` with `newRoot`. */
  verifyConsistency(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean;
  /** RFC 9162 §2.1.3.2: true only if `proof` proves leaf data `leaf` at `index` in a tree of `size` with `root`. */
  verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean;
}
