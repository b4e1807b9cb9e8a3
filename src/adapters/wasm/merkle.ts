import { DomainError } from '../../kernel/errors.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { KeeWasmCore, WasmFailure } from './load.ts';

/**
 * The Merkle port over the Rust crate compiled to WASM. Batches every tree operation into one
 * boundary crossing: leaves go in as one buffer plus offsets, proofs come back the same way.
 */
export class WasmMerkle implements Merkle {
  private readonly wasm: KeeWasmCore;

  constructor(wasm: KeeWasmCore) {
    this.wasm = wasm;
  }

  sha256(data: Uint8Array): Uint8Array {
    return this.wasm.sha256(data);
  }

  /** One call: the text is encoded straight into WASM memory and the digest comes back as hex. */
  sha256Hex(text: string): string {
    return this.wasm.sha256Hex(text);
  }

  canonicalize(value: unknown): string {
    const text = JSON.stringify(value);
    if (typeof text !== 'string') throw new DomainError('INVALID_INPUT', 'value cannot be canonicalized as JSON');
    return unwrap(this.wasm.jcs(text));
  }

  root(leaves: readonly Uint8Array[]): Uint8Array {
    const { data, offsets } = pack(leaves);
    return unwrap(this.wasm.merkleRootFromLeaves(data, offsets));
  }

  rootAndProofs(leaves: readonly Uint8Array[]): { root: Uint8Array; proofs: Uint8Array[][] } {
    const { data, offsets } = pack(leaves);
    const hashes = unwrap(this.wasm.leafHashes(data, offsets));
    const all = this.wasm.allInclusionProofs(hashes);
    if (all.type === 'failure') throw fromFailure(all);
    const root = all.root;
    const proofs: Uint8Array[][] = [];
    for (let i = 0; i < leaves.length; i++) {
      const from = all.offsets[i] ?? 0;
      const to = all.offsets[i + 1] ?? from;
      const proof: Uint8Array[] = [];
      for (let j = from; j < to; j++) proof.push(all.value.subarray(j * 32, j * 32 + 32));
      proofs.push(proof);
    }
    return { root, proofs };
  }

  rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
    return unwrap(this.wasm.merkleRootFromLeafHashes(pack(hashes).data));
  }

  inclusionProof(hashes: readonly Uint8Array[], index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= hashes.length) {
      throw new DomainError('INVALID_INPUT', `leaf index ${index} is not within 0..${hashes.length - 1}`);
    }
    return split(unwrap(this.wasm.inclusionProof(pack(hashes).data, index)));
  }

  consistencyProof(hashes: readonly Uint8Array[], oldSize: number): Uint8Array[] {
    return split(unwrap(this.wasm.consistencyProof(pack(hashes).data, oldSize)));
  }

  verifyConsistency(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
    if (proof.some((p) => p.length !== 32)) return false;
    return this.wasm.verifyConsistency(oldSize, newSize, pack(proof).data, oldRoot, newRoot).type === 'success';
  }

  verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || size < 1 || index >= size || size > 0xffffffff) return false;
    const hash = this.wasm.leafHashes(leaf, Uint32Array.of(0, leaf.length));
    if (hash.type === 'failure') return false;
    const flat = new Uint8Array(proof.length * 32);
    for (let i = 0; i < proof.length; i++) {
      const p = proof[i] as Uint8Array;
      if (p.length !== 32) return false;
      flat.set(p, i * 32);
    }
    return this.wasm.verifyInclusion(hash.value, index, size, flat, root).type === 'success';
  }
}

/** Concatenates leaves into one buffer with n+1 offsets. */
export function pack(leaves: readonly Uint8Array[]): { data: Uint8Array; offsets: Uint32Array } {
  let total = 0;
  for (const l of leaves) total += l.length;
  const data = new Uint8Array(total);
  const offsets = new Uint32Array(leaves.length + 1);
  let at = 0;
  for (let i = 0; i < leaves.length; i++) {
    const l = leaves[i] as Uint8Array;
    data.set(l, at);
    at += l.length;
    offsets[i + 1] = at;
  }
  return { data, offsets };
}

function split(flat: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + 32 <= flat.length; i += 32) out.push(flat.subarray(i, i + 32));
  return out;
}

function unwrap<T>(r: { type: 'success'; value: T } | WasmFailure): T {
  if (r.type === 'failure') throw fromFailure(r);
  return r.value;
}

function fromFailure(f: WasmFailure): DomainError {
  return new DomainError(f.error.code === 'PROOF_INVALID' ? 'PROOF_INVALID' : 'INVALID_INPUT', f.error.message);
}
