/**
 * What the entries declare in the GEC Manifest about this build. `KERNEL_VERSION` follows
 * package.json; `WASM_MODULE_SHA256` is the SHA-256 of each shipped WASM module, for workerd,
 * where modules arrive compiled and their bytes cannot be hashed at start (the Node, Bun and Deno
 * entries hash the bytes they actually load). `test/build-info.test.ts` fails when either is
 * stale; after `npm run build:wasm` or a cedar-wasm upgrade, update the hashes it prints (the
 * Workers' module, `kee_wasm_worker_bg.wasm`, has its own constant: `KEE_WASM_WORKER_SHA256`).
 */
export const KERNEL_VERSION = '0.1.0';

export const KEE_WASM_MODULE = 'kee_wasm_bg.wasm';
/** The same crate built for size (`scripts/build-wasm.sh`): the module both Worker builds carry. */
export const KEE_WASM_WORKER_MODULE = 'kee_wasm_worker_bg.wasm';
export const CEDAR_WASM_MODULE = 'cedar_wasm_bg.wasm';

export const WASM_MODULE_SHA256: Record<string, string> = {
  [KEE_WASM_MODULE]: 'c06cf705f9868f4e0c341cb4443f6ca54107699ee650a82014a1563a79c23901',
  [CEDAR_WASM_MODULE]: '9ed10461f45bceabbe2c364330500378b71f641b28f7c2a1f6e033c9be2f1d9a',
};

/** The SHA-256 of `wasm/kee_wasm_worker_bg.wasm`, which the Worker builds declare instead of `kee_wasm_bg.wasm`. */
export const KEE_WASM_WORKER_SHA256 = '523f8f109d0fe77c1474b9371755f5ba0f2011c8912475f55b718e3b28381e5b';
