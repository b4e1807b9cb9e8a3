import { readFileSync } from 'node:fs';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import type { CedarApi } from '../../src/adapters/cedar/cedar-api.ts';

let ready = false;

/** The cedar-wasm module (web target) initialized from its bytes, once per process. */
export function loadCedar(): CedarApi {
  if (!ready) {
    cedar.initSync({ module: readFileSync(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url)) });
    ready = true;
  }
  return cedar as unknown as CedarApi;
}
