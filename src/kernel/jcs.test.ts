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

describe('canonicalJson fast path (sorted copy + JSON.stringify) matches the exact path', () => {
  const rust = wasmMerkle();
  it('orders integer-like keys by UTF-16 code units, not numerically', () => {
    const v = { 10: 'a', 9: 'b', b: 1, a: [{ 2: 0, 11: 1 }] };
    expect(canonicalJson(v)).toBe('{"10":"a","9":"b","a":[{"11":1,"2":0}],"b":1}');
    expect(canonicalJson(v)).toBe(rust.canonicalize(v));
  });
  it('keeps an own `__proto__` key', () => {
    const v = JSON.parse('{"z":1,"__proto__":{"x":2}}') as unknown;
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":2},"z":1}');
  });
  it('tells a lone surrogate from the text `\\ud800`', () => {
    expect(canonicalJson({ k: '\\ud800' })).toBe('{"k":"\\\\ud800"}');
    expect(() => canonicalJson({ k: ['ok', '\uD800'] })).toThrow(/well-formed/);
    expect(canonicalJson({ k: '\uD83D\uDE00' })).toBe('{"k":"\uD83D\uDE00"}');
  });
  it('rejects what JSON.stringify would quietly change: non-finite numbers, undefined or functions in arrays, bigints', () => {
    for (const bad of [{ a: [Number.NaN] }, { a: -Infinity }, [undefined], [() => 1], { f: () => 1 }, { b: 1n }, undefined]) {
      const e = (() => { try { canonicalJson(bad); } catch (err) { return err; } })();
      expect(isDomainError(e, 'INVALID_INPUT'), String(bad)).toBe(true);
    }
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
  it('prints values already in key order as they are, and never lets JSON.stringify call a toJSON', () => {
    // JSON.parse of canonical text gives objects whose keys are in order: the path that copies nothing
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (v) => {
        const ordered = JSON.parse(rust.canonicalize(v)) as unknown;
        expect(canonicalJson(ordered)).toBe(rust.canonicalize(v));
      }),
      { numRuns: 1000, seed: 20 },
    );
    expect(canonicalJson({ a: 1, b: [new Date(0)], c: new Date(0) })).toBe('{"a":1,"b":[{}],"c":{}}');
    const inherited = Object.create({ toJSON: () => 'x' }, { a: { value: 1, enumerable: true } }) as unknown;
    expect(canonicalJson(inherited)).toBe('{"a":1}');
    expect(canonicalJson([inherited])).toBe('[{"a":1}]');
    const ownArray = Object.assign([1, 2], { toJSON: () => 'x' });
    expect(canonicalJson({ k: ownArray })).toBe('{"k":[1,2]}');
  });
  it('agrees with the Rust implementation on objects with integer-like and escaped keys (property)', () => {
    const key = fc.oneof(fc.string(), fc.integer({ min: 0, max: 5000 }).map(String), fc.constantFrom('__proto__', '\\ud800', 'é', '\u2028'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tie('value')), fc.dictionary(key, tie('value'))),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalJson(v)).toBe(rust.canonicalize(v));
      }),
      { numRuns: 2000, seed: 8786 },
    );
  });
});
