/**
 * The importer of `wasm/kee_wasm_worker.js`, the wasm-bindgen glue of the Workers' module
 * (`kee_wasm_worker_bg.wasm`: built for size and without FROST, scripts/build-wasm.sh). The
 * Worker entry supplies the `WebAssembly.Module` workerd compiled; `initKeeWasmWorker` is
 * idempotent. It gives the surface both modules share: a Worker signs with Ed25519, never FROST.
 */
import * as bindings from '../../../wasm/kee_wasm_worker.js';
import type { KeeWasmCore } from './load.ts';

let loaded: KeeWasmCore | null = null;

/** Instantiates the Workers' Kee WASM module once; later calls return the same instance. */
export function initKeeWasmWorker(module: BufferSource | WebAssembly.Module): KeeWasmCore {
  if (!loaded) {
    bindings.initSync({ module });
    loaded = bindings as unknown as KeeWasmCore;
  }
  return loaded;
}
