/**
 * The pure-JS Merkle paths of the benchmark, parameterized by the SHA-256 they use
 * (`@noble/hashes` or `node:crypto`). Same operations as `kee-native-bench`.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export function jsPaths(sha256: Sha256) {
  const leafHash = (leaf: Uint8Array) => {
    const b = new Uint8Array(leaf.length + 1);
    b.set(leaf, 1);
    return sha256(b);
  };
  const nodeHash = (l: Uint8Array, r: Uint8Array) => {
    const b = new Uint8Array(65);
    b[0] = 1;
    b.set(l, 1);
    b.set(r, 33);
    return sha256(b);
  };
  /** Every level of the tree, bottom-up; an odd last node is promoted (RFC 9162 shape). */
  const levels = (hashes: Uint8Array[]) => {
    const out = [hashes];
    let level = hashes;
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      out.push(next);
      level = next;
    }
    return out;
  };
  const proof = (lv: Uint8Array[][], index: number) => {
    const path: Uint8Array[] = [];
    let i = index;
    for (let d = 0; d < lv.length - 1; d++) {
      const level = lv[d]!;
      const sib = i ^ 1;
      if (sib < level.length) path.push(level[sib]!);
      i >>= 1;
    }
    return path;
  };
  const verify = (leafH: Uint8Array, index: number, size: number, path: Uint8Array[], root: Uint8Array) => {
    let fn = index;
    let sn = size - 1;
    let r = leafH;
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) ((fn >>= 1), (sn >>= 1));
      } else r = nodeHash(r, p);
      fn >>= 1;
      sn >>= 1;
    }
    return sn === 0 && Buffer.compare(r, root) === 0;
  };
  return {
    root: (leaves: Uint8Array[]) => {
      const lv = levels(leaves.map(leafHash));
      return lv[lv.length - 1]![0]!;
    },
    proofs: (hashes: Uint8Array[], indexes: number[]) => {
      const lv = levels(hashes);
      const root = lv[lv.length - 1]![0]!;
      let ok = 0;
      for (const i of indexes) if (verify(hashes[i]!, i, hashes.length, proof(lv, i), root)) ok++;
      if (ok !== indexes.length) throw new Error('a proof failed to verify');
      return ok;
    },
    allProofs: (hashes: Uint8Array[]) => {
      const lv = levels(hashes);
      return hashes.map((_, i) => proof(lv, i));
    },
    leafHash,
  };
}
