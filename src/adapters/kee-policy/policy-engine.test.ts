import { describe, expect, it } from 'vitest';
import { loadKeeWasm } from '../../../test/support/wasm.ts';
import { DEFAULT_CAP_PROFILE } from '../cedar/default-profile.ts';
import type { KeeWasmCore } from '../wasm/load.ts';
import { KeePolicyEngine } from './policy-engine.ts';

/** The Kee WASM with its policy-set loads counted (its own instance: the memo of `rehash` is per instance). */
function counted(): { wasm: KeeWasmCore; loads: () => number } {
  const real = loadKeeWasm();
  let n = 0;
  const wasm: KeeWasmCore = {
    ...real,
    loadPolicySet: (json: string) => {
      n++;
      return real.loadPolicySet(json);
    },
  };
  return { wasm, loads: () => n };
}

describe('KeePolicyEngine.rehash', () => {
  it('parses the held text again on every call; `sameText` gives again the hash of exactly the same text, and parses a changed one', () => {
    const { wasm, loads } = counted();
    const engine = KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE);
    const declared = engine.active().cedarPolicyHash;
    const afterLoad = loads();
    expect(engine.rehash()).toBe(declared);
    expect(engine.rehash()).toBe(declared);
    expect(loads()).toBe(afterLoad + 2);
    // the start's Check 2: the same text, hashed just before, is not parsed again
    expect(engine.rehash(true)).toBe(declared);
    expect(loads()).toBe(afterLoad + 2);
    // the held text changed after load (test/acd.test.ts): parsed and hashed, and the hash differs
    (engine.source() as { policies: string }).policies += '\n@id("smuggled")\n@tier("2")\npermit(principal, action, resource);\n';
    const changed = engine.rehash(true);
    expect(loads()).toBe(afterLoad + 3);
    expect(changed).not.toBe(declared);
    expect(engine.rehash(true)).toBe(changed);
    expect(loads()).toBe(afterLoad + 3);
  });
});
