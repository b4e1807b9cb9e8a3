import { sha256 } from '@noble/hashes/sha2.js';
import canonicalizeJson from 'canonicalize';
import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { Merkle } from '../../ports/merkle.ts';

const utf8 = new TextEncoder();

/**
 * Pure TypeScript Merkle port (RFC 9162 §2.1, JCS via `canonicalize`). The reference the WASM
 * build is checked against, and the JS path of the benchmark.
 */
export class JsMerkle implements Merkle {
  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  }

  sha256Hex(text: string): string {
    return toHex(sha256(utf8.encode(text)));
  }

  canonicalize(value: unknown): string {
    const text = canonicalizeJson(value as object);
    if (typeof text !== 'string') throw new DomainError('INVALID_INPUT', 'value cannot be canonicalized as JSON');
    return text;
  }

  root(leaves: readonly Uint8Array[]): Uint8Array {
    return this.rootOfHashes(leaves.map(leafHash));
  }

  rootOfHashes(hashes: readonly Uint8Array[]): Uint8Array {
    if (hashes.length === 0) return sha256(new Uint8Array(0));
    // Level by level, promoting an odd last node unchanged: equal to the RFC's split rule.
    let level = hashes.slice();
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
      level = next;
    }
    return level[0] as Uint8Array;
  }

  rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
    return this.rootOfHashes(hashes);
  }

  /** RFC 9162 §2.1.3.1 PATH(m, D[n]) over leaf hashes. */
  inclusionProof(hashes: readonly Uint8Array[], index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= hashes.length) {
      throw new DomainError('INVALID_INPUT', `leaf index ${index} is not within 0..${hashes.length - 1}`);
    }
    const path = (m: number, d: readonly Uint8Array[]): Uint8Array[] => {
      if (d.length <= 1) return [];
      const k = splitPoint(d.length);
      return m < k ? [...path(m, d.slice(0, k)), this.rootOfHashes(d.slice(k))] : [...path(m - k, d.slice(k)), this.rootOfHashes(d.slice(0, k))];
    };
    return path(index, hashes);
  }

  /** RFC 9162 §2.1.4.1 SUBPROOF. */
  consistencyProof(hashes: readonly Uint8Array[], oldSize: number): Uint8Array[] {
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > hashes.length) {
      throw new DomainError('INVALID_INPUT', `old size ${oldSize} is not within 0..${hashes.length}`);
    }
    if (oldSize === 0 || oldSize === hashes.length) return [];
    const sub = (m: number, d: readonly Uint8Array[], complete: boolean): Uint8Array[] => {
      if (m === d.length) return complete ? [] : [this.rootOfHashes(d)];
      const k = splitPoint(d.length);
      return m <= k
        ? [...sub(m, d.slice(0, k), complete), this.rootOfHashes(d.slice(k))]
        : [...sub(m - k, d.slice(k), false), this.rootOfHashes(d.slice(0, k))];
    };
    return sub(oldSize, hashes, true);
  }

  /** RFC 9162 §2.1.4.2. */
  verifyConsistency(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
    if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
    if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
    if (oldSize === 0) return proof.length === 0;
    let path = [...proof];
    if ((oldSize & (oldSize - 1)) === 0) path = [oldRoot, ...path];
    let fn = oldSize - 1;
    let sn = newSize - 1;
    while (fn % 2 === 1) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    const [first, ...rest] = path;
    if (!first) return false;
    let fr = first;
    let sr = first;
    for (const c of rest) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
  }

  rootAndProofs(leaves: readonly Uint8Array[]): { root: Uint8Array; proofs: Uint8Array[][] } {
    const hashes = leaves.map(leafHash);
    const proofs: Uint8Array[][] = hashes.map(() => []);
    if (hashes.length === 0) return { root: sha256(new Uint8Array(0)), proofs };
    const build = (lo: number, hi: number): Uint8Array => {
      if (hi - lo === 1) return hashes[lo] as Uint8Array;
      const k = splitPoint(hi - lo);
      const left = build(lo, lo + k);
      const right = build(lo + k, hi);
      for (let i = lo; i < lo + k; i++) (proofs[i] as Uint8Array[]).push(right);
      for (let i = lo + k; i < hi; i++) (proofs[i] as Uint8Array[]).push(left);
      return nodeHash(left, right);
    };
    return { root: build(0, hashes.length), proofs };
  }

  verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let r = leafHash(leaf);
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(r, root);
  }
}

/** RFC 9162 §2.1.1: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 1);
  buf.set(data, 1);
  return sha256(buf);
}

/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

/** The largest power of two strictly less than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}
