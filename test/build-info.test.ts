import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CEDAR_WASM_MODULE, KEE_WASM_MODULE, KEE_WASM_WORKER_SHA256, KERNEL_VERSION, WASM_MODULE_SHA256 } from '../src/entry/build-info.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('build info declared in the GEC Manifest', () => {
  it('the kernel version is package.json version', () => {
    expect(KERNEL_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('the WASM module hashes are those of the shipped modules (update src/entry/build-info.ts if not)', () => {
    expect(WASM_MODULE_SHA256).toEqual({
      [KEE_WASM_MODULE]: sha256('wasm/kee_wasm_bg.wasm'),
      [CEDAR_WASM_MODULE]: sha256('node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm'),
    });
    expect(KEE_WASM_WORKER_SHA256).toBe(sha256('wasm/kee_wasm_worker_bg.wasm'));
  });
});
