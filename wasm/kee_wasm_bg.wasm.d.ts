/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const allInclusionProofs: (a: number, b: number) => any;
export const consistencyProof: (a: number, b: number, c: number) => any;
export const inclusionProof: (a: number, b: number, c: number) => any;
export const inclusionProofs: (a: number, b: number, c: number, d: number) => any;
export const jcs: (a: number, b: number) => any;
export const jcsSha256: (a: number, b: number) => any;
export const leafHashes: (a: number, b: number, c: number, d: number) => any;
export const merkleRootFromLeafHashes: (a: number, b: number) => any;
export const merkleRootFromLeaves: (a: number, b: number, c: number, d: number) => any;
export const sha256: (a: number, b: number, c: number) => void;
export const verifyConsistency: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => any;
export const verifyInclusion: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => any;
export const version: (a: number) => void;
export const __wbindgen_export: (a: number) => void;
export const __wbindgen_export2: () => number;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __wbindgen_export3: (a: number, b: number) => number;
export const __wbindgen_export4: (a: number, b: number, c: number) => void;
export const __wbindgen_export5: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_add_to_stack_pointer: (a: number) => number;
export const __wbindgen_start: () => void;
