/**
 * bench/merkle: RFC 9162 root and inclusion proofs over 1k / 100k / 1M leaves on four paths:
 * native Rust (`kee-native-bench`), the same Rust as WASM (one batched call per operation),
 * pure JS (`@noble/hashes`) and JS over `node:crypto`. Prints a table with the ratio to native
 * and writes bench/merkle/RESULTS.md. Run: `npm run bench:merkle [-- --sizes 1000,100000]`.
 *
 * Operations (identical on every path; see crates/native-bench/src/main.rs):
 *   root        leaf-hash N leaves of 100 bytes and compute the root
 *   proofs      from the N leaf hashes: build the tree, prove and verify 1,000 evenly spaced leaves
 *   all_proofs  from the N leaf hashes: the inclusion proof of every leaf
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { initKeeWasm, type KeeWasm } from '../../src/adapters/wasm/load.ts';
import { pack } from '../../src/adapters/wasm/merkle.ts';
import { jsPaths } from './js-paths.ts';

const arg = process.argv.indexOf('--sizes');
const SIZES = arg > 0 ? (process.argv[arg + 1] ?? '').split(',').map(Number) : [1_000, 100_000, 1_000_000];
const OPS = ['root', 'proofs', 'all_proofs'] as const;
type Op = (typeof OPS)[number];
const iters = (n: number) => (n <= 1_000 ? 200 : n <= 100_000 ? 10 : 3);

const leaf = (i: number) => Uint8Array.from({ length: 100 }, (_, j) => (i * 31 + j) & 0xff);
const sampleIndexes = (n: number) => (n < 1000 ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: 1000 }, (_, j) => Math.floor((j * n) / 1000)));

function time(k: number, f: () => unknown): number {
  f();
  const t0 = performance.now();
  for (let i = 0; i < k; i++) f();
  return (performance.now() - t0) / k;
}

/**
 * The native build, twice: as shipped (the sha2 crate picks the CPU's SHA extensions when it has
 * them) and with sha2's portable software backend, the same code WASM runs.
 */
function native(n: number, k: number, variant: 'cpu' | 'soft'): Record<Op, number> {
  const dir = variant === 'cpu' ? 'target' : 'target/soft-sha';
  const bin = `crates/${dir}/release/kee-native-bench`;
  if (!existsSync(bin)) {
    console.error(`building kee-native-bench (release, ${variant} sha-256) ...`);
    const env = { ...process.env, RUSTC: '/usr/bin/rustc', CARGO_TARGET_DIR: dir, ...(variant === 'soft' ? { RUSTFLAGS: '--cfg sha2_backend="soft"' } : {}) };
    execFileSync('/usr/bin/cargo', ['build', '--locked', '--release', '-p', 'kee-native-bench'], { cwd: 'crates', stdio: 'inherit', env });
  }
  const out = execFileSync(bin, ['merkle', '--leaves', String(n), '--iters', String(k)], { encoding: 'utf8' });
  const res = {} as Record<Op, number>;
  for (const line of out.trim().split('\n')) {
    const j = JSON.parse(line) as { op: Op; ms_per_op: number };
    res[j.op] = j.ms_per_op;
  }
  return res;
}

function wasmPath(w: KeeWasm, data: Uint8Array, offsets: Uint32Array, n: number, k: number): Record<Op, number> {
  const ok = <T>(r: { type: string; value?: T }) => {
    if (r.type !== 'success') throw new Error(JSON.stringify(r));
    return r.value as T;
  };
  const hashes = ok(w.leafHashes(data, offsets));
  const idx = Uint32Array.from(sampleIndexes(n));
  return {
    root: time(k, () => ok(w.merkleRootFromLeaves(data, offsets))),
    proofs: time(k, () => {
      const p = w.inclusionProofs(hashes, idx);
      if (p.type !== 'success') throw new Error(p.error.message);
      const root = p.root;
      for (let j = 0; j < idx.length; j++) {
        const i = idx[j] as number;
        const proof = p.value.subarray((p.offsets[j] as number) * 32, (p.offsets[j + 1] as number) * 32);
        ok(w.verifyInclusion(hashes.subarray(i * 32, i * 32 + 32), i, n, proof, root));
      }
    }),
    all_proofs: time(k, () => ok(w.allInclusionProofs(hashes) as { type: string; value: Uint8Array })),
  };
}

function jsPath(sha: (d: Uint8Array) => Uint8Array, leaves: Uint8Array[], n: number, k: number): Record<Op, number> {
  const js = jsPaths(sha);
  const hashes = leaves.map(js.leafHash);
  const idx = sampleIndexes(n);
  return {
    root: time(k, () => js.root(leaves)),
    proofs: time(k, () => js.proofs(hashes, idx)),
    all_proofs: time(Math.min(k, 3), () => js.allProofs(hashes)),
  };
}

const nodeSha = (d: Uint8Array) => new Uint8Array(createHash('sha256').update(d).digest());
const w = initKeeWasm(readFileSync('wasm/kee_wasm_bg.wasm'));
const rows: string[] = [];
const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
for (const n of SIZES) {
  const k = iters(n);
  const leaves = Array.from({ length: n }, (_, i) => leaf(i));
  const { data, offsets } = pack(leaves);
  const nat = native(n, k, 'cpu');
  const soft = native(n, k, 'soft');
  const wa = wasmPath(w, data, offsets, n, k);
  const noble = jsPath(nobleSha256, leaves, n, k);
  const nodec = jsPath(nodeSha, leaves, n, k);
  for (const op of OPS) {
    const bestJs = Math.min(noble[op], nodec[op]);
    rows.push(
      `| ${n.toLocaleString('en')} | ${op} | ${fmt(nat[op])} | ${fmt(soft[op])} | ${fmt(wa[op])} (${(wa[op] / nat[op]).toFixed(2)}× / ${(wa[op] / soft[op]).toFixed(2)}×) | ${fmt(noble[op])} (${(noble[op] / nat[op]).toFixed(1)}×) | ${fmt(nodec[op])} (${(nodec[op] / nat[op]).toFixed(1)}×) | ${(bestJs / wa[op]).toFixed(1)}× |`,
    );
    console.error(rows[rows.length - 1]);
  }
}
const table = [
  '| leaves | op | native Rust ms (SHA-NI) | native Rust ms (soft SHA-256) | WASM ms (÷ native / ÷ native soft) | @noble/hashes ms (÷ native) | node:crypto ms (÷ native) | WASM speed-up over best JS |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
console.log(table);
const header = `# bench/merkle results\n\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; wasm: ${w.version()}.\nCommand: \`npm run bench:merkle\`. Times are mean milliseconds per operation.\n\n`;
writeFileSync('bench/merkle/RESULTS.md', `${header}${table}\n`);
