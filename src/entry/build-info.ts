/**
 * What the entries declare in the GEC Manifest about this build. `KERNEL_VERSION` follows
 * package.json; `WASM_MODULE_SHA256` is the SHA-256 of each shipped WASM module, for workerd,
 * where modules arrive compiled and their bytes cannot be hashed at start (the Node, Bun and Deno
 * entries hash the bytes they actually load). `test/build-info.test.ts` fails when either is
 * stale; after `npm run build:wasm` or a cedar-wasm upgrade, update the hashes it prints.
 */
export const KERNEL_VERSION = '0.1.0';

export const KEE_WASM_MODULE = 'kee_wasm_bg.wasm';
export const CEDAR_WASM_MODULE = 'cedar_wasm_bg.wasm';

export const WASM_MODULE_SHA256: Record<string, string> = {
  [KEE_WASM_MODULE]: 'a8144e5da26f1dbc4740f4c05cffb112cf0ece829808ce32495a8c34cd46f518',
  [CEDAR_WASM_MODULE]: '9ed10461f45bceabbe2c364330500378b71f641b28f7c2a1f6e033c9be2f1d9a',
};
