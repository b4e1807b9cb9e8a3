/**
 * bench/credentials: the JOSE work around each Ed25519 signature, this checkout against another
 * (`--base <checkout>`, e.g. a `git archive` of the base branch with node_modules linked), in one
 * Node process, interleaved: the kernel token key signing a credential-sized JWT
 * (`JoseTokenSigner.sign`) and the DPoP proof check (`verifyDpop` of the agent proof verifier),
 * 64 calls in flight, fresh proofs (pre-signed). Per call: the process's CPU (all threads: the
 * WebCrypto job runs on libuv's pool) and the main thread's own CPU (/proc, Linux), medians of
 * `--rounds` rounds of `--ms` each. Prints a table; the figures go by hand into
 * bench/http/RESULTS.md. Run: `tsx bench/credentials/jose-ab.ts --base /tmp/base [--rounds 5] [--ms 2500]`.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const BASE = arg('base', '');
if (!BASE) throw new Error('--base <checkout of Kee> is required');
const ROUNDS = Number(arg('rounds', '5'));
const MS = Number(arg('ms', '2500'));

type Signer = { sign(typ: string, claims: Record<string, unknown>): Promise<string> };
type Proofs = { verifyDpop(proof: string): Promise<unknown> };
async function load(root: string): Promise<{ signer: (seed: Uint8Array) => Signer; proofs: Proofs }> {
  const { JoseTokenSigner } = (await import(resolve(root, 'src/adapters/jose/token-signer.ts'))) as { JoseTokenSigner: new (seed: Uint8Array) => Signer };
  const { joseAgentProofs } = (await import(resolve(root, 'src/adapters/jose/agent-proofs.ts'))) as { joseAgentProofs: Proofs };
  return { signer: (seed) => new JoseTokenSigner(seed), proofs: joseAgentProofs };
}
const mine = await load(resolve(import.meta.dirname, '../..'));
const base = await load(resolve(BASE));

const seed = crypto.getRandomValues(new Uint8Array(32));
const signers = { base: base.signer(seed), this: mine.signer(seed) };
const claims = { iss: 'https://kee.example', sub: 'xpid:0b7f2a1e-4c1d-4f55-9a5e-1b2c3d4e5f60', aud: 'x', iat: 1765000000, exp: 1765000300, jti: 'c4c7c9e2-9f1e-4d3a-8d1b-0a1b2c3d4e5f', intent: 'a'.repeat(43), policy: 'b'.repeat(64), action: 'tool.call', resource: 'r:1', decision: 'PERMIT', cnf: { jkt: 'k'.repeat(43) } };
if ((await signers.base.sign('kee-credential+jwt', claims)) !== (await signers.this.sign('kee-credential+jwt', claims))) throw new Error('the two checkouts sign different bytes');

const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const x = (await exportJWK(publicKey)).x as string;
const proofs: string[] = [];
for (let i = 0; i < 4000; i++) proofs.push(await new SignJWT({ htm: 'POST', htu: 'http://127.0.0.1:1/v1/sessions/s/authorize', iat: 1765000000, jti: `j${i}`, ath: 'a'.repeat(43) }).setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x } }).sign(privateKey));
let k = 0;

const cases: Record<string, () => Promise<unknown>> = {
  'sign, base': () => signers.base.sign('kee-credential+jwt', claims),
  'sign, this': () => signers.this.sign('kee-credential+jwt', claims),
  'DPoP proof, base': () => base.proofs.verifyDpop(proofs[k++ % proofs.length] as string),
  'DPoP proof, this': () => mine.proofs.verifyDpop(proofs[k++ % proofs.length] as string),
};
/** The main thread's utime+stime in µs (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms). */
const mainCpu = () => {
  const f = (readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1] as string).split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e4;
};
const res: Record<string, { all: number[]; main: number[]; rate: number[] }> = {};
const load0 = loadavg()[0] as number;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of Object.entries(cases)) {
    const end = performance.now() + MS;
    let n = 0;
    const m0 = mainCpu();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        await f();
        n++;
      }
    }));
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const r = (res[name] ??= { all: [], main: [], rate: [] });
    r.all.push((c.user + c.system) / n);
    r.main.push((mainCpu() - m0) / n);
    r.rate.push((n / t) * 1000);
  }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1] as number;
const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
console.log(`${runtime}, load average ${load0.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)}, ${ROUNDS} rounds of ${MS} ms, 64 in flight, medians`);
console.log('| call | CPU-µs per call (all threads) | main thread CPU-µs per call | calls/s |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, r] of Object.entries(res)) console.log(`| ${name} | ${med(r.all).toFixed(1)} | ${med(r.main).toFixed(1)} | ${Math.round(med(r.rate)).toLocaleString('en-US')} |`);
