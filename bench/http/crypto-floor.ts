/**
 * bench/http: the fixed crypto of one decision, alone, per runtime: what every PERMIT pays that
 * an in-memory HS256 token path does not. The credential's Ed25519 signature (over the signing
 * input of a real credential, bare/answer.json), the DPoP proof's Ed25519 verification
 * (KEE_AUTH=agents; a proof of the usual shape, its key imported once as Kee caches it), and for
 * comparison an HS256 (HMAC-SHA-256) signature of the same input, each with WebCrypto (what Kee
 * uses on every runtime) and with `node:crypto` (what Node's signing worker uses).
 *
 * 64 operations in flight (closed loop), `--seconds` (3) per row after 0.5 s of warm-up, rows
 * interleaved, `--rounds` (3) rounds, the median: operations per second and CPU-µs per operation
 * of the whole process (`process.cpuUsage`, all threads: WebCrypto runs on a thread pool on Node).
 *
 * Run: `npx tsx bench/http/crypto-floor.ts [--seconds 3] [--rounds 3]` runs it on Node, then on Bun
 * and Deno (node_modules/.bin) as child processes, and prints one table. `--child` prints JSON lines.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import process from 'node:process';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const SECONDS = Number(arg('seconds', '3'));
const ROUNDS = Number(arg('rounds', '3'));
const IN_FLIGHT = 64;
const g = globalThis as Record<string, unknown>;
const runtime = g.Bun ? `Bun ${process.versions.bun}` : g.Deno ? `Deno ${(g.Deno as { version: { deno: string } }).version.deno}` : `Node ${process.version}`;

const enc = new TextEncoder();
const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const answer = JSON.parse(readFileSync(new URL('./bare/answer.json', import.meta.url), 'utf8')) as { credential: string };
const credentialInput = enc.encode(answer.credential.split('.').slice(0, 2).join('.'));

type Op = { name: string; run: () => unknown };

async function ops(): Promise<Op[]> {
  const pair = (await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const nodePriv: KeyObject = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const nodePub: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } as never, format: 'jwk' });
  // a DPoP proof of the usual shape (header alg/typ/jwk; jti, htm, htu, iat, ath)
  const header = b64u(JSON.stringify({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } }));
  const claims = b64u(JSON.stringify({ jti: crypto.randomUUID(), htm: 'POST', htu: `http://127.0.0.1:8787/v1/sessions/${crypto.randomUUID()}/authorize`, iat: Math.floor(Date.now() / 1000), ath: b64u(new Uint8Array(32)) }));
  const proofInput = enc.encode(`${header}.${claims}`);
  const proofSig = new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, proofInput));
  const hmacKey = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const hmacRaw = Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  if (!(await crypto.subtle.verify('Ed25519', pair.publicKey, proofSig, proofInput))) throw new Error('proof does not verify');
  if (!nodeVerify(null, proofInput, nodePub, proofSig)) throw new Error('proof does not verify (node:crypto)');
  return [
    { name: 'Ed25519 sign, credential (WebCrypto)', run: () => crypto.subtle.sign('Ed25519', pair.privateKey, credentialInput) },
    { name: 'Ed25519 verify, DPoP proof (WebCrypto)', run: () => crypto.subtle.verify('Ed25519', pair.publicKey, proofSig, proofInput) },
    { name: 'Ed25519 sign, credential (node:crypto, sync)', run: () => nodeSign(null, credentialInput, nodePriv) },
    { name: 'Ed25519 verify, DPoP proof (node:crypto, sync)', run: () => nodeVerify(null, proofInput, nodePub, proofSig) },
    { name: 'HS256 sign, same input (WebCrypto HMAC)', run: () => crypto.subtle.sign('HMAC', hmacKey, credentialInput) },
    { name: 'HS256 sign, same input (node:crypto createHmac)', run: () => createHmac('sha256', hmacRaw).update(credentialInput).digest() },
  ];
}

/** `IN_FLIGHT` callers back to back for `seconds`: operations per second and CPU-µs per operation. */
async function measure(op: Op, seconds: number): Promise<{ perSec: number; cpuUs: number }> {
  let count = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  // the clock, not a timer: a synchronous operation's loop never yields to the timers
  const caller = async () => {
    while (performance.now() < end) {
      await op.run();
      count++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: count / wall, cpuUs: (cpu.user + cpu.system) / count };
}

type Line = { runtime: string; op: string; perSec: number; cpuUs: number; load1: number };

async function child(): Promise<Line[]> {
  const list = await ops();
  for (const op of list) await measure(op, 0.5);
  const samples = new Map<string, { perSec: number; cpuUs: number; load1: number }[]>(list.map((o) => [o.name, []]));
  for (let r = 0; r < ROUNDS; r++) for (const op of list) samples.get(op.name)?.push({ ...(await measure(op, SECONDS)), load1: loadavg()[0] as number });
  return list.map((op) => {
    const s = (samples.get(op.name) ?? []).sort((a, b) => a.cpuUs - b.cpuUs);
    const m = s[Math.floor(s.length / 2)] as { perSec: number; cpuUs: number; load1: number };
    return { runtime, op: op.name, ...m };
  });
}

if (process.argv.includes('--child')) {
  for (const line of await child()) console.log(JSON.stringify(line));
  process.exit(0);
}
const lines: Line[] = await child();
const pass = ['--seconds', String(SECONDS), '--rounds', String(ROUNDS), '--child'];
for (const [cmd, args] of [
  ['node_modules/.bin/bun', ['bench/http/crypto-floor.ts', ...pass]],
  ['node_modules/.bin/deno', ['run', '--allow-read', '--allow-env', '--allow-sys', 'bench/http/crypto-floor.ts', ...pass]],
] as const) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`${cmd}: ${r.stderr}`);
    continue;
  }
  for (const l of r.stdout.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
}
console.log(`Median of ${ROUNDS} rounds of ${SECONDS} s, ${IN_FLIGHT} in flight; CPU-µs per operation of the whole process (all threads).\n`);
console.log('| runtime | operation | operations/s | CPU-µs per operation | load (1 min) |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const l of lines) console.log(`| ${l.runtime} | ${l.op} | ${Math.round(l.perSec).toLocaleString('en')} | ${l.cpuUs.toFixed(1)} | ${l.load1.toFixed(2)} |`);
