/**
 * bench/signing/compare.mjs: compares the WASM FROST signing time of several builds of kee-wasm
 * in one process, interleaved, so that a shared machine's load falls on all of them alike.
 * Each argument is a directory holding a wasm-bindgen output (`kee_wasm.js`, `kee_wasm_bg.wasm`),
 * for example `bash scripts/build-wasm.sh /tmp/variant` before and after a change.
 * Run: `ROUNDS=25 node bench/signing/compare.mjs wasm /tmp/variant`.
 *
 * One signature, as FrostSigner makes it: round 1 at all three participants (the third one's
 * session cancelled), round 2 at two, aggregation (with a FrostCoordinator when the build has it,
 * else frostAggregate). After 300 warm-up signatures per build, ROUNDS rounds of 40 signatures per
 * build; prints the median and the minimum over the rounds of the mean ms per signature, and of
 * the round 1, round 2 and aggregate steps of participant 1.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dirs = process.argv.slice(2);
const MSG = new Uint8Array(64).fill(7);
const ok = (r) => { if (r.type !== 'success') throw new Error(r.error.message); return r.value; };
const mods = [];
for (const d of dirs) {
  const m = await import(pathToFileURL(resolve(d, 'kee_wasm.js')).href);
  m.initSync({ module: readFileSync(resolve(d, 'kee_wasm_bg.wasm')) });
  const [a, b, c] = ok(m.frostTrustedDealer(2, 3));
  const pkg = a.publicPackage(); const co = m.FrostCoordinator ? ok(m.FrostCoordinator.load(pkg)) : null;
  mods.push({ d, m, a, b, c, pkg, co, n: 0, res: { sign: [], r1: [], r2: [], agg: [] } });
}
const ids = Uint16Array.from([1, 2]);
function once(x, t) {
  const s = new Uint8Array(new Uint32Array([x.n++]).buffer);
  let t0 = performance.now();
  const ca = ok(x.a.round1(s)); const t1 = performance.now();
  const cb = ok(x.b.round1(s)); ok(x.c.round1(s)); x.c.cancel(s);
  const com = new Uint8Array(128); com.set(ca, 0); com.set(cb, 64);
  const t2 = performance.now();
  const sa = ok(x.a.round2(s, MSG, ids, com)); const t3 = performance.now();
  const sb = ok(x.b.round2(s, MSG, ids, com));
  const sh = new Uint8Array(64); sh.set(sa, 0); sh.set(sb, 32);
  const t4 = performance.now();
  ok(x.co ? x.co.aggregate(MSG, ids, com, sh) : x.m.frostAggregate(x.pkg, MSG, ids, com, sh));
  const t5 = performance.now();
  t.sign += t5 - t0; t.r1 += t1 - t0; t.r2 += t3 - t2; t.agg += t5 - t4;
}
const K = 40, ROUNDS = Number(process.env.ROUNDS ?? 12);
for (const x of mods) for (let i = 0; i < 300; i++) once(x, { sign: 0, r1: 0, r2: 0, agg: 0 }); // warm up / tier up
for (let r = 0; r < ROUNDS; r++) for (const x of mods) {
  const t = { sign: 0, r1: 0, r2: 0, agg: 0 };
  for (let i = 0; i < K; i++) once(x, t);
  for (const k in t) x.res[k].push(t[k] / K);
}
const med = (v) => { const s = [...v].sort((p, q) => p - q); return s[s.length >> 1]; };
const min = (v) => Math.min(...v);
for (const x of mods) console.log(x.d.padEnd(40), Object.entries(x.res).map(([k, v]) => `${k} med ${med(v).toFixed(3)} min ${min(v).toFixed(3)}`).join(' | '));
