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
  [KEE_WASM_MODULE]: '09c5e1f22665010070888bbd098199787d6920783de278ff42e73d3301ac72f9',
  [CEDAR_WASM_MODULE]: '9ed10461f45bceabbe2c364330500378b71f641b28f7c2a1f6e033c9be2f1d9a',
};

/** The SHA-256 of `wasm/kee_wasm_worker_bg.wasm`, which the Worker builds declare instead of `kee_wasm_bg.wasm`. */
export const KEE_WASM_WORKER_SHA256 = 'c1ba8491fd77c6779bfb74e21518a9582c36d3e9c79858752325969f138dead6';
