import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsMerkle } from '../src/adapters/memory/js-merkle.ts';
import { fromHex, toHex } from '../src/kernel/hex.ts';
import type { Merkle } from '../src/ports/merkle.ts';
import rfc from './vectors/rfc9162-merkle.json' with { type: 'json' };
import jcs from './vectors/jcs.json' with { type: 'json' };
import appT from './vectors/kee-appendix-t.json' with { type: 'json' };
import { refMth, refPath } from './reference-merkle.ts';
import { wasmMerkle } from './support/wasm.ts';

const impls: [string, Merkle][] = [
  ['wasm (Rust)', wasmMerkle()],
  ['pure TS (@noble/hashes)', new JsMerkle()],
];
const hex = (s: string) => fromHex(s) as Uint8Array;
const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each(impls)('Merkle port: %s', (_name, m) => {
  const leaves = rfc.leaves.map(hex);

  it('matches the RFC 9162 / CT roots for every tree size 0..8', () => {
    rfc.roots.by_size.forEach((root, n) => expect(toHex(m.root(leaves.slice(0, n)))).toBe(root));
  });

  it('generates and verifies the RFC 9162 / CT inclusion proofs', () => {
    for (const v of rfc.inclusion) {
      const { root, proofs } = m.rootAndProofs(leaves.slice(0, v.tree_size));
      expect(proofs[v.leaf_index]!.map(toHex)).toEqual(v.proof);
      expect(m.verifyInclusion(leaves[v.leaf_index]!, v.leaf_index, v.tree_size, v.proof.map(hex), root)).toBe(true);
    }
  });

  it('builds the RFC 9162 / CT inclusion proofs from leaf hashes (the block log), and refuses an index outside the tree', () => {
    const hashes = rfc.node_hashes.levels[0]!.map(hex);
    for (const v of rfc.inclusion) expect(m.inclusionProof(hashes.slice(0, v.tree_size), v.leaf_index).map(toHex)).toEqual(v.proof);
    for (const [n, i] of [[0, 0], [3, 3], [3, -1], [3, 1.5]] as const) expect(() => m.inclusionProof(hashes.slice(0, n), i)).toThrow(/leaf index/);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 }), fc.nat(), (ls, a) => {
        const i = a % ls.length;
        const leafHashes = ls.map((l) => m.root([l]));
        expect(m.inclusionProof(leafHashes, i).map(toHex)).toEqual(refPath(i, ls).map(toHex));
      }),
      { numRuns: 100, seed: 2113 },
    );
  });

  it('sha256Hex: the FIPS 180-2 vectors, and the hex of sha256 of the UTF-8 bytes of any text (property)', () => {
    expect(m.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(m.sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(m.sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(m.sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 3000 }), (text) => {
        expect(m.sha256Hex(text)).toBe(toHex(m.sha256(utf8(text))));
      }),
      { numRuns: 500, seed: 180 },
    );
  });

  it('matches the digest Appendix T values', () => {
    const rec = appT.records as Record<string, string>;
    for (const r of appT.roots) expect(toHex(m.root(r.records.map((id) => utf8(rec[id]!))))).toBe(r.root);
    for (const j of appT.jcs_sha256) {
      const canonical = m.canonicalize(JSON.parse(rec[j.record]!));
      expect(canonical).toBe(rec[j.record]);
      expect(toHex(m.sha256(utf8(canonical)))).toBe(j.sha256);
      expect(m.sha256Hex(canonical)).toBe(j.sha256);
    }
  });

  it('canonicalizes the RFC 8785 examples', () => {
    for (const v of jcs.valid) expect(m.canonicalize(JSON.parse(v.input)), v.name).toBe(v.expected);
  });

  it('agrees with the recursive reference on random trees (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 70 }), (ls) => {
        const ref = refMth(ls);
        expect(toHex(m.root(ls))).toBe(toHex(ref));
        const { root, proofs } = m.rootAndProofs(ls);
        expect(toHex(root)).toBe(toHex(ref));
        ls.forEach((leaf, i) => {
          expect(proofs[i]!.map(toHex)).toEqual(refPath(i, ls).map(toHex));
          expect(m.verifyInclusion(leaf, i, ls.length, proofs[i]!, root)).toBe(true);
        });
      }),
      { numRuns: 150, seed: 9162 },
    );
  });

  it('rejects tampered leaves, proofs, indexes and roots (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 2, maxLength: 40 }), fc.nat(), fc.nat(), (raw, a, b) => {
        // distinct leaves (index-prefixed), so a proof can only be valid at its own index
        const ls = raw.map((l, idx) => Uint8Array.of(idx >> 8, idx & 0xff, ...l));
        const { root, proofs } = m.rootAndProofs(ls);
        const i = a % ls.length;
        const proof = proofs[i]!;
        const leaf = ls[i]!;
        const flipped = leaf.slice();
        flipped[b % flipped.length]! ^= 1;
        expect(m.verifyInclusion(flipped, i, ls.length, proof, root)).toBe(false);
        expect(m.verifyInclusion(leaf, (i + 1) % ls.length, ls.length, proof, root)).toBe(false);
        if (proof.length > 0) {
          const bad = proof.map((p) => p.slice());
          bad[b % bad.length]![0]! ^= 0x80;
          expect(m.verifyInclusion(leaf, i, ls.length, bad, root)).toBe(false);
          expect(m.verifyInclusion(leaf, i, ls.length, proof.slice(1), root)).toBe(false);
        }
        expect(m.verifyInclusion(leaf, i, ls.length, proof, m.sha256(root))).toBe(false);
      }),
      { numRuns: 200, seed: 6962 },
    );
  });

  it('canonicalizes like the canonicalize package on random JSON (property)', () => {
    const js = new JsMerkle();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(m.canonicalize(v)).toBe(js.canonicalize(v));
      }),
      { numRuns: 300, seed: 8785 },
    );
  });
});
