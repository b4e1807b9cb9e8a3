/**
 * The importer of the generated `wasm/kee_wasm.js` bindings (wasm-bindgen, web target) of the
 * release module, for Node, Bun and Deno; the Workers load their own smaller module, without
 * FROST, through `load-worker.ts`. The entry file supplies the module bytes or a compiled
 * `WebAssembly.Module`; `initKeeWasm` is idempotent. Functions never throw: they return tagged
 * results.
 */
import * as bindings from '../../../wasm/kee_wasm.js';

export type WasmFailure = { type: 'failure'; error: { code: string; message: string } };
export type WasmResult<T> = { type: 'success'; value: T } | WasmFailure;
/** Inclusion proofs in one buffer (proof i = hashes offsets[i]..offsets[i+1]) and the tree root. */
export type WasmProofs = { type: 'success'; root: Uint8Array; value: Uint8Array; offsets: Uint32Array } | WasmFailure;

/** Cedar's answer from `kee-policy`: determining policies (sorted) and the policies Cedar skipped on error. */
export type WasmDecision = { allow: boolean; reasons: string[]; errors: { policyId: string; message: string }[] };
/** A loaded `kee-policy` set; `cedarPolicyHash` is lowercase hex (KEE-1 digest 4.1), ids sorted. */
export type WasmPolicySetInfo = { cedarPolicyHash: string; policyIds: string[]; templateIds: string[]; tiers: Record<string, string> };
/**
 * A policy set held in WASM memory: one `evaluate` call per decision; `free` releases it.
 * `setEntities` replaces the set's entity store (Cedar's entity JSON array; `value` is the
 * number of entities held) and leaves it unchanged on failure; `evaluateStored` decides a
 * request against the stored entities, which the request's own `entities`, if any, replace
 * (same uid) or extend for that request only.
 */
export type WasmPolicySet = {
  evaluate(requestJson: string): WasmResult<WasmDecision>;
  setEntities(entitiesJson: string): WasmResult<number>;
  evaluateStored(requestJson: string): WasmResult<WasmDecision>;
  info(): WasmPolicySetInfo;
  free(): void;
};

/** A failed FROST call; `culprits` names the participants whose shares do not verify. */
export type WasmFrostFailure = {
  type: 'failure';
  error: { code: 'INVALID_INPUT' | 'SIGNER_FAILED' | 'NONCE_REUSE' | 'INVALID_SHARE'; message: string; culprits?: number[] };
};
export type WasmFrostResult<T> = { type: 'success'; value: T } | WasmFrostFailure;
/** A FROST participant held in WASM memory (`kee-frost`): its share leaves only through `exportShare`. */
export type WasmFrostParticipant = {
  readonly identifier: number;
  readonly threshold: number;
  groupKey(): Uint8Array;
  publicPackage(): Uint8Array;
  round1(sessionId: Uint8Array): WasmFrostResult<Uint8Array>;
  round2(sessionId: Uint8Array, message: Uint8Array, ids: Uint16Array, commitments: Uint8Array): WasmFrostResult<Uint8Array>;
  cancel(sessionId: Uint8Array): boolean;
  exportShare(): WasmFrostResult<Uint8Array>;
  beginRefresh(t: number, n: number): WasmFrostResult<WasmFrostDkg>;
  repairDeltas(helpers: Uint16Array, lost: number): WasmFrostResult<{ ids: Uint16Array; deltas: Uint8Array }>;
  free(): void;
};
/** A FROST coordinator held in WASM memory: the group's public package, parsed once (no secrets). */
export type WasmFrostCoordinator = {
  aggregate(message: Uint8Array, ids: Uint16Array, commitments: Uint8Array, shares: Uint8Array): WasmFrostResult<Uint8Array>;
  free(): void;
};
/** One participant's side of a FROST DKG or share refresh. */
export type WasmFrostDkg = {
  round1Package(): Uint8Array;
  part2(ids: Uint16Array, packages: Uint8Array[]): WasmFrostResult<{ ids: Uint16Array; packages: Uint8Array[] }>;
  finish(ids: Uint16Array, packages: Uint8Array[]): WasmFrostResult<WasmFrostParticipant>;
  free(): void;
};

/** The narrow surface of the Rust `kee-wasm` crate used by the adapters, FROST aside: what both modules export. */
export type KeeWasmCore = {
  sha256(data: Uint8Array): Uint8Array;
  sha256Hex(text: string): string;
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
  /** Loads a JSON `{ policies, links?, schema? }` policy source into an indexed set. */
  loadPolicySet(sourceJson: string): WasmResult<WasmPolicySet>;
  /** Cedar policy text's static policies in Cedar's JSON form (EST), as JSON text `{"policies": [...], "templates": n}`. */
  policySetParts(text: string): WasmResult<string>;
};

/** FROST in the release module only (the crate's `frost` feature); the Workers' module leaves it out. */
export type KeeWasmFrost = {
  /** FROST(Ed25519, SHA-512), RFC 9591 (`kee-frost`). */
  FrostParticipant: { importShare(share: Uint8Array): WasmFrostResult<WasmFrostParticipant> };
  FrostDkg: { begin(id: number, t: number, n: number): WasmFrostResult<WasmFrostDkg> };
  frostTrustedDealer(t: number, n: number): WasmFrostResult<WasmFrostParticipant[]>;
  frostAggregate(publicPackage: Uint8Array, message: Uint8Array, ids: Uint16Array, commitments: Uint8Array, shares: Uint8Array): WasmFrostResult<Uint8Array>;
  /** `frostAggregate` with the public package parsed once. */
  FrostCoordinator: { load(publicPackage: Uint8Array): WasmFrostResult<WasmFrostCoordinator> };
  frostVerify(groupKey: Uint8Array, message: Uint8Array, signature: Uint8Array): WasmFrostResult<true>;
  frostRepairSigma(deltas: Uint8Array): WasmFrostResult<Uint8Array>;
  frostRepairShare(sigmas: Uint8Array, lost: number, publicPackage: Uint8Array): WasmFrostResult<WasmFrostParticipant>;
  frostCheckVectors(json: string): WasmFrostResult<number>;
};

/** The release module: everything, FROST included. */
export type KeeWasm = KeeWasmCore & KeeWasmFrost;

let loaded: KeeWasm | null = null;

/** Instantiates the Kee WASM module once; later calls return the same instance. */
export function initKeeWasm(module: BufferSource | WebAssembly.Module): KeeWasm {
  if (!loaded) {
    bindings.initSync({ module });
    loaded = bindings as unknown as KeeWasm;
  }
  return loaded;
}
