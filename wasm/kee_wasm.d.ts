/* tslint:disable */
/* eslint-disable */

/** Why a call failed: malformed arguments, or a proof that does not verify. */
export type KeeErrorCode = "INVALID_INPUT" | "PROOF_INVALID";
/** A failed call. `message` is lowercase, has no full stop and names the sizes involved. */
export type KeeFailure = { type: "failure"; error: { code: KeeErrorCode; message: string } };
/** The result of every call except `sha256` and `version`: exports never throw. */
export type KeeResult<T> = { type: "success"; value: T } | KeeFailure;
/** Inclusion proofs and the tree root: proof i is hashes offsets[i]..offsets[i+1] (in 32-byte units) of value. */
export type KeeProofs = { type: "success"; root: Uint8Array; value: Uint8Array; offsets: Uint32Array } | KeeFailure;



/**
 * The inclusion proofs of every leaf, in `O(n log n)`: proof `i` is hashes
 * `offsets[i]..offsets[i + 1]` of `value` (`offsets` has `n + 1` entries, in 32-byte units).
 */
export function allInclusionProofs(hashes: Uint8Array | number[]): KeeProofs;

/**
 * The consistency proof from the tree of the first `oldSize` leaves to the tree of all
 * `hashes` (`value: Uint8Array`, `k * 32` bytes).
 */
export function consistencyProof(hashes: Uint8Array | number[], oldSize: number): KeeResult<Uint8Array>;

/**
 * The inclusion proof of leaf `index` (`value: Uint8Array`, `k * 32` bytes, leaf side first).
 */
export function inclusionProof(hashes: Uint8Array | number[], index: number): KeeResult<Uint8Array>;

/**
 * The inclusion proofs of the leaves at `indices`, building the tree once: proof `j` (for
 * `indices[j]`) is hashes `offsets[j]..offsets[j + 1]` of `value`.
 */
export function inclusionProofs(hashes: Uint8Array | number[], indices: Uint32Array | number[]): KeeProofs;

/**
 * The RFC 8785 canonical form of a JSON text (`value: string`).
 */
export function jcs(json: string): KeeResult<string>;

/**
 * `SHA-256(JCS(json))` (`value: Uint8Array`, 32 bytes).
 */
export function jcsSha256(json: string): KeeResult<Uint8Array>;

/**
 * The leaf hashes `SHA-256(0x00 || leaf)` of the leaves `data[offsets[i]..offsets[i + 1]]`
 * (`value: Uint8Array`, `n * 32` bytes).
 */
export function leafHashes(data: Uint8Array | number[], offsets: Uint32Array | number[]): KeeResult<Uint8Array>;

/**
 * The RFC 9162 root of a list of leaf hashes (`n * 32` bytes); `SHA-256("")` when empty.
 */
export function merkleRootFromLeafHashes(hashes: Uint8Array | number[]): KeeResult<Uint8Array>;

/**
 * The RFC 9162 root of the leaves `data[offsets[i]..offsets[i + 1]]`, hashing each leaf with
 * `SHA-256(0x00 || leaf)` (`value: Uint8Array`, 32 bytes).
 */
export function merkleRootFromLeaves(data: Uint8Array | number[], offsets: Uint32Array | number[]): KeeResult<Uint8Array>;

/**
 * `SHA-256(data)`, 32 bytes.
 */
export function sha256(data: Uint8Array | number[]): Uint8Array;

/**
 * Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot` (`value: true`; `PROOF_INVALID` when it is not).
 */
export function verifyConsistency(oldSize: number, newSize: number, proof: Uint8Array | number[], oldRoot: Uint8Array | number[], newRoot: Uint8Array | number[]): KeeResult<true>;

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
 * (`value: true`; `PROOF_INVALID` when it is not).
 */
export function verifyInclusion(leafHash: Uint8Array | number[], index: number, size: number, proof: Uint8Array | number[], root: Uint8Array | number[]): KeeResult<true>;

/**
 * The version of this crate.
 */
export function version(): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly allInclusionProofs: (a: number, b: number) => any;
    readonly consistencyProof: (a: number, b: number, c: number) => any;
    readonly inclusionProof: (a: number, b: number, c: number) => any;
    readonly inclusionProofs: (a: number, b: number, c: number, d: number) => any;
    readonly jcs: (a: number, b: number) => any;
    readonly jcsSha256: (a: number, b: number) => any;
    readonly leafHashes: (a: number, b: number, c: number, d: number) => any;
    readonly merkleRootFromLeafHashes: (a: number, b: number) => any;
    readonly merkleRootFromLeaves: (a: number, b: number, c: number, d: number) => any;
    readonly sha256: (a: number, b: number, c: number) => void;
    readonly verifyConsistency: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => any;
    readonly verifyInclusion: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => any;
    readonly version: (a: number) => void;
    readonly __wbindgen_export: (a: number) => void;
    readonly __wbindgen_export2: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_export3: (a: number, b: number) => number;
    readonly __wbindgen_export4: (a: number, b: number, c: number) => void;
    readonly __wbindgen_export5: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_add_to_stack_pointer: (a: number) => number;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
