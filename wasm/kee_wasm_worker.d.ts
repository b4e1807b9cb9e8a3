/* tslint:disable */
/* eslint-disable */

/** What `loadPolicySet` reads: Cedar policy text (every policy and template with `@id`), template links, an optional schema. */
export type KeePolicySource = {
    policies: string;
    links?: { templateId: string; newId: string; values: Record<"?principal" | "?resource", { type: string; id: string }> }[];
    schema?: string;
};
/** A Cedar request: uids as `{type, id}`, `context` a record, `entities` Cedar's entity JSON array. */
export type KeePolicyRequest = {
    principal: { type: string; id: string };
    action: { type: string; id: string };
    resource: { type: string; id: string };
    context?: Record<string, unknown>;
    entities?: unknown[];
};
/** Cedar's answer: `reasons` are the determining policies (sorted), `errors` the policies Cedar skipped. */
export type KeeDecision = { allow: boolean; reasons: string[]; errors: { policyId: string; message: string }[] };
/** The loaded set: `cedarPolicyHash` is lowercase hex (KEE-1 digest 4.1); ids are sorted. */
export type KeePolicySetInfo = { cedarPolicyHash: string; policyIds: string[]; templateIds: string[]; tiers: Record<string, string> };



/** Why a call failed: malformed arguments, or a proof that does not verify. */
export type KeeErrorCode = "INVALID_INPUT" | "PROOF_INVALID" | "ENGINE_FAILED" | "SIGNER_FAILED" | "NONCE_REUSE" | "INVALID_SHARE";
/** A failed call. `message` is lowercase, has no full stop and names the sizes involved. */
export type KeeFailure = { type: "failure"; error: { code: KeeErrorCode; message: string } };
/** The result of every call except `sha256`, `sha256Hex` and `version`: exports never throw. */
export type KeeResult<T> = { type: "success"; value: T } | KeeFailure;
/** Inclusion proofs and the tree root: proof i is hashes offsets[i]..offsets[i+1] (in 32-byte units) of value. */
export type KeeProofs = { type: "success"; root: Uint8Array; value: Uint8Array; offsets: Uint32Array } | KeeFailure;



/**
 * A loaded, indexed policy set. Free it with `free()` when it is replaced.
 */
export class PolicySetHandle {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Evaluates one request, a JSON `KeePolicyRequest`, against the stored entities; its own
     * `entities`, if any, replace (same uid) or extend them for this request (`value: KeeDecision`).
     */
    evaluateStored(requestJson: string): KeeResult<KeeDecision>;
    /**
     * Evaluates one request, a JSON `KeePolicyRequest` (`value: KeeDecision`).
     */
    evaluate(requestJson: string): KeeResult<KeeDecision>;
    /**
     * The hash, ids and tiers of the loaded set.
     */
    info(): KeePolicySetInfo;
    /**
     * Replaces the entity store with Cedar's entity JSON array `entitiesJson`, checked against
     * the set's schema if it has one (`value`: how many entities the store holds). On failure
     * the store is left as it was.
     */
    setEntities(entitiesJson: string): KeeResult<number>;
}

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
 * Loads a policy set from a JSON `KeePolicySource` (`value: PolicySetHandle`).
 */
export function loadPolicySet(sourceJson: string): KeeResult<PolicySetHandle>;

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
 * The policies of Cedar policy text in Cedar's JSON form (EST), without loading them as a set:
 * `value` is the JSON text `{"policies": [EST, ...], "templates": <count>}`, policies in the
 * order cedar-wasm's `policySetTextToParts` gives them.
 */
export function policySetParts(text: string): KeeResult<string>;

/**
 * `SHA-256(data)`, 32 bytes.
 */
export function sha256(data: Uint8Array | number[]): Uint8Array;

/**
 * `SHA-256(UTF-8(text))` as 64 lowercase hex digits: an audit record's hash from its canonical
 * text in one call, without the caller encoding the text or hex-encoding the digest.
 */
export function sha256Hex(text: string): string;

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
    readonly __wbg_policysethandle_free: (a: number, b: number) => void;
    readonly allInclusionProofs: (a: number, b: number) => any;
    readonly consistencyProof: (a: number, b: number, c: number) => any;
    readonly inclusionProof: (a: number, b: number, c: number) => any;
    readonly inclusionProofs: (a: number, b: number, c: number, d: number) => any;
    readonly jcs: (a: number, b: number) => any;
    readonly jcsSha256: (a: number, b: number) => any;
    readonly leafHashes: (a: number, b: number, c: number, d: number) => any;
    readonly loadPolicySet: (a: number, b: number) => any;
    readonly merkleRootFromLeafHashes: (a: number, b: number) => any;
    readonly merkleRootFromLeaves: (a: number, b: number, c: number, d: number) => any;
    readonly policySetParts: (a: number, b: number) => any;
    readonly policysethandle_evaluate: (a: number, b: number, c: number) => any;
    readonly policysethandle_evaluateStored: (a: number, b: number, c: number) => any;
    readonly policysethandle_info: (a: number) => any;
    readonly policysethandle_setEntities: (a: number, b: number, c: number) => any;
    readonly sha256: (a: number, b: number, c: number) => void;
    readonly sha256Hex: (a: number, b: number, c: number) => void;
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
