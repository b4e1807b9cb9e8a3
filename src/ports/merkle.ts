/**
 * Hashing, JCS canonicalization and RFC 9162 Merkle trees. Implemented by the Rust crate
 * compiled to WASM (`adapters/wasm/merkle.ts`); a pure TypeScript implementation exists
 * for tests and benchmarks (`adapters/memory/js-merkle.ts`).
 */
export interface Merkle {
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** RFC 8785 canonical JSON text of a JSON value. Throws DomainError INVALID_INPUT. */
  canonicalize(value: unknown): string;
  /** RFC 9162 §2.1.1 Merkle Tree Hash over raw leaf data. */
  root(leaves: readonly Uint8Array[]): Uint8Array;
  /** The root and an RFC 9162 §2.1.3.1 inclusion proof for every leaf, in one call. */
  rootAndProofs(leaves: readonly Uint8Array[]): { root: Uint8Array; proofs: Uint8Array[][] };
  /** RFC 9162 §2.1.3.2: true only if `proof` proves leaf data `leaf` at `index` in a tree of `size` with `root`. */
  verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean;
}
