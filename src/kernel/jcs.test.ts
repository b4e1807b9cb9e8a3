import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import jcsVectors from '../../test/vectors/jcs.json' with { type: 'json' };
import { wasmMerkle } from '../../test/support/wasm.ts';
import { isDomainError } from './errors.ts';
import { canonicalJson } from './jcs.ts';

describe('canonicalJson (TS, write path) against the Rust JCS (verify path)', () => {
  const rust = wasmMerkle();
  it('passes the RFC 8785 vectors', () => {
    for (const v of jcsVectors.valid) expect(canonicalJson(JSON.parse(v.input)), v.name).toBe(v.expected);
  });
  it('agrees with the Rust implementation on random JSON, full unicode included (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (v) => {
        expect(canonicalJson(v)).toBe(rust.canonicalize(v));
      }),
      { numRuns: 2000, seed: 8785 },
    );
  });
  it('rejects lone surrogates and non-finite numbers, as the Rust one does', () => {
    for (const bad of ['\uD800', 'a\uDC00b', { k: '\uDBFF' }, [Number.NaN], Infinity]) {
      const e = (() => { try { canonicalJson(bad); } catch (err) { return err; } })();
      expect(isDomainError(e, 'INVALID_INPUT')).toBe(true);
    }
    expect(() => rust.canonicalize({ k: '\uD800' })).toThrow();
  });
});
