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
  [KEE_WASM_MODULE]: '047b0d2140ffba69470f931ab17cd61f03c5b98ba93341c291ad0408e2387141',
  [CEDAR_WASM_MODULE]: '9ed10461f45bceabbe2c364330500378b71f641b28f7c2a1f6e033c9be2f1d9a',
};
