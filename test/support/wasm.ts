import { readFileSync } from 'node:fs';
import { initKeeWasm, type KeeWasm } from '../../src/adapters/wasm/load.ts';
import { WasmMerkle } from '../../src/adapters/wasm/merkle.ts';

/** The committed Kee WASM module, instantiated from `wasm/`. */
export function loadKeeWasm(): KeeWasm {
  return initKeeWasm(readFileSync(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
}

export const wasmMerkle = () => new WasmMerkle(loadKeeWasm());
