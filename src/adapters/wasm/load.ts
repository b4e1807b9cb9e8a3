/**
 * The only importer of the generated `wasm/` bindings (wasm-bindgen, web target). The entry
 * file supplies the module bytes or a compiled `WebAssembly.Module`; `initKeeWasm` is
 * idempotent. Functions never throw: they return tagged results.
 */
import * as bindings from '../../../wasm/kee_wasm.js';

export type WasmFailure = { type: 'failure'; error: { code: string; message: string } };
export type WasmResult<T> = { type: 'success'; value: T } | WasmFailure;
/** Inclusion proofs in one buffer (proof i = hashes offsets[i]..offsets[i+1]) and the tree root. */
export type WasmProofs = { type: 'success'; root: Uint8Array; value: Uint8Array; offsets: Uint32Array } | WasmFailure;

/** The narrow surface of the Rust `kee-wasm` crate used by the adapters. */
export type KeeWasm = {
  sha256(data: Uint8Array): Uint8Array;
  jcs(json: string): WasmResult<string>;
  jcsSha256(json: string): WasmResult<Uint8Array>;
  leafHashes(data: Uint8Array, offsets: Uint32Array): WasmResult<Uint8Array>;
  merkleRootFromLeaves(data: Uint8Array, offsets: Uint32Array): WasmResult<Uint8Array>;
  merkleRootFromLeafHashes(hashes: Uint8Array): WasmResult<Uint8Array>;
  inclusionProof(hashes: Uint8Array, index: number): WasmResult<Uint8Array>;
  allInclusionProofs(hashes: Uint8Array): WasmProofs;
  inclusionProofs(hashes: Uint8Array, indices: Uint32Array): WasmProofs;
  verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: Uint8Array, root: Uint8Array): WasmResult<true>;
  consistencyProof(hashes: Uint8Array, oldSize: number): WasmResult<Uint8Array>;
  verifyConsistency(oldSize: number, newSize: number, proof: Uint8Array, oldRoot: Uint8Array, newRoot: Uint8Array): WasmResult<true>;
  version(): string;
};

let loaded: KeeWasm | null = null;

/** Instantiates the Kee WASM module once; later calls return the same instance. */
export function initKeeWasm(module: BufferSource | WebAssembly.Module): KeeWasm {
  if (!loaded) {
    bindings.initSync({ module });
    loaded = bindings as unknown as KeeWasm;
  }
  return loaded;
}
