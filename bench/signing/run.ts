/**
 * bench/signing: FROST(Ed25519, SHA-512) 2-of-3 on three paths: native Rust (`kee-native-bench
 * frost`), the same Rust as WASM in this process (the `kee-frost` handles and the FrostSigner
 * coordinator), and @noble/curves' pure-JS RFC 9591 FROST. Prints a table and writes
 * bench/signing/RESULTS.md. Run: `npx tsx bench/signing/run.ts [--iters K] [--no-native]`
 * (`--no-native` skips the Rust build and leaves RESULTS.md alone). The sidecar column (participants
 * in `kee signer serve` processes over loopback HTTP) is `bench/signing/sidecars.ts`.
 *
 * Operations (see crates/native-bench/src/frost.rs; message: 64 bytes of 7):
 *   keygen_dealer  trusted-dealer 2-of-3 key generation
 *   keygen_dkg     a whole 2-of-3 DKG among three participants in one process
 *   round1         one participant's round 1 (fresh nonces, commitments)
 *   round2         one participant's round 2 (signature share)
 *   aggregate      aggregating two shares (frost-rs also checks the group signature); WASM: a
 *                  FrostCoordinator (the public package parsed once), as FrostSigner does
 *   sign           a whole 2-of-3 signature: two round 1s, two round 2s, aggregate, verify
 *                  (WASM: FrostSigner.sign, the Signer port with its async participants)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { ed25519_FROST as noble } from '@noble/curves/ed25519.js';
import type { DKG_Round1, DKG_Round2, NonceCommitments } from '@noble/curves/abstract/frost.js';
import { runDkg } from '../../src/adapters/frost/ceremony.ts';
import { FrostSigner } from '../../src/adapters/frost/frost-signer.ts';
import { InProcessParticipant } from '../../src/adapters/frost/participant.ts';
import { initKeeWasm, type KeeWasm, type WasmFrostParticipant, type WasmFrostResult } from '../../src/adapters/wasm/load.ts';

const arg = process.argv.indexOf('--iters');
const ITERS = arg > 0 ? Number(process.argv[arg + 1]) : 200;
const OPS = ['keygen_dealer', 'keygen_dkg', 'round1', 'round2', 'aggregate', 'sign'] as const;
type Op = (typeof OPS)[number];
const MESSAGE = new Uint8Array(64).fill(7);

const ok = <T>(r: WasmFrostResult<T>): T => {
  if (r.type !== 'success') throw new Error(r.error.message);
  return r.value;
};

/** Mean ms of `f` over k runs, after one untimed run. */
async function time(k: number, f: () => unknown): Promise<number> {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < k; i++) await f();
  return (performance.now() - t0) / k;
}

/** Mean ms of the part of each run that `f` times itself (set-up untimed). */
function timeParts(k: number, f: (tick: (op: string, ms: number) => void) => void): Record<string, number> {
  const sums: Record<string, number> = {};
  for (let i = 0; i < k; i++) f((op, ms) => (sums[op] = (sums[op] ?? 0) + ms));
  return Object.fromEntries(Object.entries(sums).map(([op, s]) => [op, s / k]));
}

function native(k: number): Record<Op, number> {
  const bin = 'crates/target/release/kee-native-bench';
  const fresh = existsSync(bin) && execFileSync(bin, ['frost', '--iters', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('"sign"');
  if (!fresh) {
    console.error('building kee-native-bench (release) ...');
    execFileSync('/usr/bin/cargo', ['build', '--locked', '--release', '-p', 'kee-native-bench'], { cwd: 'crates', stdio: 'inherit', env: { ...process.env, RUSTC: '/usr/bin/rustc' } });
  }
  const out = execFileSync(bin, ['frost', '--iters', String(k)], { encoding: 'utf8' });
  const res = {} as Record<Op, number>;
  for (const line of out.trim().split('\n')) {
    const j = JSON.parse(line) as { op: Op; ms_per_op: number };
    res[j.op] = j.ms_per_op;
  }
  return res;
}

async function wasmPath(w: KeeWasm, k: number): Promise<Record<Op, number>> {
  const keygen_dealer = await time(k, () => ok(w.frostTrustedDealer(2, 3)).forEach((p) => p.free()));
  const keygen_dkg = await time(Math.max(1, k / 4), () => runDkg(w).participants.forEach((p) => p.free()));
  const [a, b, c] = ok(w.frostTrustedDealer(2, 3)) as [WasmFrostParticipant, WasmFrostParticipant, WasmFrostParticipant];
  const pkg = a.publicPackage();
  const coordinator = ok(w.FrostCoordinator.load(pkg));
  const ids = Uint16Array.from([1, 2]);
  let n = 0;
  const parts = timeParts(k, (tick) => {
    const sid = new Uint32Array([n++]);
    const s = new Uint8Array(sid.buffer);
    let t0 = performance.now();
    const ca = ok(a.round1(s));
    tick('round1', performance.now() - t0);
    const commitments = new Uint8Array([...ca, ...ok(b.round1(s))]);
    t0 = performance.now();
    const sa = ok(a.round2(s, MESSAGE, ids, commitments));
    tick('round2', performance.now() - t0);
    const shares = new Uint8Array([...sa, ...ok(b.round2(s, MESSAGE, ids, commitments))]);
    t0 = performance.now();
    ok(coordinator.aggregate(MESSAGE, ids, commitments, shares));
    tick('aggregate', performance.now() - t0);
  });
  const signer = new FrostSigner({ wasm: w, publicPackage: pkg, participants: [a, b, c].map((h) => new InProcessParticipant(h)) });
  const sign = await time(k, () => signer.sign(MESSAGE));
  return { keygen_dealer, keygen_dkg, round1: parts.round1 as number, round2: parts.round2 as number, aggregate: parts.aggregate as number, sign };
}

function nobleDkg(): void {
  const ids = [1, 2, 3].map((i) => noble.Identifier.fromNumber(i));
  const signers = { min: 2, max: 3 };
  const r1 = ids.map((id) => noble.DKG.round1(id, signers));
  const pubs = r1.map((r) => r.public);
  const r2 = r1.map((r, i) => noble.DKG.round2(r.secret, pubs.filter((_, j) => j !== i) as DKG_Round1[]));
  r1.forEach((r, i) => {
    const others = pubs.filter((_, j) => j !== i) as DKG_Round1[];
    const received = r2.filter((_, j) => j !== i).map((m) => m[ids[i] as string] as DKG_Round2);
    noble.DKG.round3(r.secret, others, received);
  });
}

async function noblePath(k: number): Promise<Record<Op, number>> {
  const ids = [1, 2, 3].map((i) => noble.Identifier.fromNumber(i));
  const keygen_dealer = await time(k, () => noble.trustedDealer({ min: 2, max: 3 }, ids));
  const keygen_dkg = await time(Math.max(1, k / 4), nobleDkg);
  const deal = noble.trustedDealer({ min: 2, max: 3 }, ids);
  const [sa, sb] = [deal.secretShares[ids[0] as string], deal.secretShares[ids[1] as string]] as [NonNullable<(typeof deal.secretShares)[string]>, NonNullable<(typeof deal.secretShares)[string]>];
  const parts = timeParts(k, (tick) => {
    let t0 = performance.now();
    const na = noble.commit(sa);
    tick('round1', performance.now() - t0);
    const nb = noble.commit(sb);
    const list: NonceCommitments[] = [na.commitments, nb.commitments];
    t0 = performance.now();
    const za = noble.signShare(sa, deal.public, na.nonces, list, MESSAGE);
    tick('round2', performance.now() - t0);
    const zb = noble.signShare(sb, deal.public, nb.nonces, list, MESSAGE);
    t0 = performance.now();
    noble.aggregate(deal.public, list, MESSAGE, { [sa.identifier]: za, [sb.identifier]: zb });
    tick('aggregate', performance.now() - t0);
  });
  const sign = await time(k, () => {
    const na = noble.commit(sa);
    const nb = noble.commit(sb);
    const list = [na.commitments, nb.commitments];
    const shares = { [sa.identifier]: noble.signShare(sa, deal.public, na.nonces, list, MESSAGE), [sb.identifier]: noble.signShare(sb, deal.public, nb.nonces, list, MESSAGE) };
    const sig = noble.aggregate(deal.public, list, MESSAGE, shares);
    if (!noble.verify(sig, MESSAGE, deal.public.commitments[0] as Uint8Array)) throw new Error('noble signature does not verify');
  });
  return { keygen_dealer, keygen_dkg, round1: parts.round1 as number, round2: parts.round2 as number, aggregate: parts.aggregate as number, sign };
}

const w = initKeeWasm(readFileSync('wasm/kee_wasm_bg.wasm'));
const skipNative = process.argv.includes('--no-native');
const nat = skipNative ? (Object.fromEntries(OPS.map((op) => [op, Number.NaN])) as Record<Op, number>) : native(ITERS);
const wa = await wasmPath(w, ITERS);
const js = await noblePath(Math.max(10, ITERS / 4));
const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
const rows = OPS.map((op) => `| ${op} | ${fmt(nat[op])} | ${fmt(wa[op])} (${(wa[op] / nat[op]).toFixed(1)}×) | ${fmt(js[op])} (${(js[op] / nat[op]).toFixed(1)}×) |`);
const table = ['| op | native Rust ms | WASM in-process ms (÷ native) | @noble/curves FROST ms (÷ native) |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
console.log(table);
const header =
  `# bench/signing results\n\nFROST(Ed25519, SHA-512), 2-of-3, 64-byte message. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (shared), ` +
  `Node ${process.version}; wasm: kee-wasm ${w.version()}, frost-ed25519 3.0.0; @noble/curves 2.4.0.\n` +
  `Command: \`npx tsx bench/signing/run.ts --iters ${ITERS}\`. Times are mean milliseconds per operation ` +
  `(keygen_dkg over a quarter of the iterations, @noble/curves over a quarter of them).\n\n` +
  `Published anchor (frost-rs, native): round 1 0.08 ms, round 2 0.12 ms, aggregate 0.22 ms. Aim: a whole in-process WASM signature under 2 ms ` +
  `(\`sign\` on the WASM path is \`FrostSigner.sign\`: the Signer port, async participants, session id, verification of the result).\n\n`;
// keep the sidecar section (bench/signing/sidecars.ts writes it)
const previous = existsSync('bench/signing/RESULTS.md') ? readFileSync('bench/signing/RESULTS.md', 'utf8') : '';
const sidecars = previous.includes('<!-- sidecars -->') ? `\n${previous.slice(previous.indexOf('<!-- sidecars -->'))}` : '';
const notes = `
## What made the WASM signature faster (issue 4)

Measured with \`node bench/signing/compare.mjs\` (builds interleaved in one process; median of 20 rounds of
40 signatures, ms per whole signature as FrostSigner makes it; shared 2-core machine):

| build | sign ms |
| --- | ---: |
| before (session 1) | 3.18 |
| overflow checks off in \`curve25519-dalek\` only (\`crates/Cargo.toml\`) | 2.82 |
| + round 2 reuses the participant's own parsed commitments; \`FrostCoordinator\` parses the public package once | 2.12 |
| + a memo of parsed commitments shared in the process (\`kee_frost::wire\`) | 1.40 |
| the previous line's sources with \`--cfg curve25519_dalek_bits="64"\` (instead of 2.12) | 4.21 |

A CPU profile of the WASM signature showed half of the time in point decoding: frost-ed25519 checks that every
point it decodes has prime order, a scalar multiplication per point, and one signature decoded 16 points
(each participant the 4 commitment points, the coordinator the 4 commitment points and the 4 points of the
public package). Now each point is checked once per process: a participant does not decode its own
commitments again, the coordinator keeps the public package decoded, and commitments already decoded (or made)
in the process are remembered (256 entries; a memo of a pure function of public bytes). Remote participants'
commitments are still checked once on arrival. The 64-bit field backend is 2× slower on wasm32 (its \`u128\`
products are emulated); \`opt-level = 3\`, fat LTO and \`codegen-units = 1\` were already set; \`simd128\` is on.
What remains: 3 round 1s (6 scalar multiplications of the generator without a precomputed table, inside frost-core),
2 round 2s and the aggregation with its check of the signature.
`;
if (!skipNative) writeFileSync('bench/signing/RESULTS.md', `${header}${table}\n${notes}${sidecars}`);
