/**
 * bench/credentials: the DPoP proof check (`verifyDpop`) as the Node server makes it, with the
 * proof's Ed25519 signature checked in the signing worker (`agentProofs(worker.verifyEd25519)`,
 * `src/entry/worker-token-signer.ts`), against WebCrypto (`joseAgentProofs`, as Bun and Deno
 * check it), in one Node process, interleaved: 64 checks in flight, fresh proofs (pre-signed).
 * Per check: the main thread's own CPU and the process's (all threads), from /proc (Linux); the
 * first round is a warm-up. Prints one line per variant; the figures go by hand into
 * bench/http/RESULTS.md. Run: `tsx bench/credentials/dpop-worker-ab.ts [--proofs 8000] [--rounds 6]`.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { agentProofs, joseAgentProofs } from '../../src/adapters/jose/agent-proofs.ts';
import { JoseTokenSigner } from '../../src/adapters/jose/token-signer.ts';
import { WorkerTokenSigner } from '../../src/entry/worker-token-signer.ts';
import type { AgentProofVerifier } from '../../src/ports/agent-proof.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const N = Number(arg('proofs', '8000'));
const ROUNDS = Number(arg('rounds', '6'));

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
const jwk = { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x as string };
const htu = 'http://127.0.0.1:8787/v1/sessions/6f1c2b7e-1111-4222-8333-444455556666/authorize';
const proofs: string[] = [];
for (let i = 0; i < N; i++) {
  const claims = { htm: 'POST', htu, ath: 'A'.repeat(43), jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) };
  proofs.push(await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk } as { alg: string }).sign(privateKey));
}

/** utime + stime (µs) of a /proc stat file. */
function cpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 1e4;
}

async function round(v: AgentProofVerifier): Promise<{ main: number; all: number }> {
  const main0 = cpu(`/proc/self/task/${process.pid}/stat`);
  const all0 = cpu('/proc/self/stat');
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < N) if (!(await v.verifyDpop(proofs[next++] as string))) throw new Error('a valid proof did not verify');
    }),
  );
  return { main: (cpu(`/proc/self/task/${process.pid}/stat`) - main0) / N, all: (cpu('/proc/self/stat') - all0) / N };
}

const seed = JoseTokenSigner.generateSeed();
const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
const variants: [string, AgentProofVerifier][] = [
  ['WebCrypto', joseAgentProofs],
  ['signing worker', agentProofs(worker.verifyEd25519)],
];
const samples = new Map<string, { main: number; all: number }[]>(variants.map(([k]) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, v] of r % 2 ? [...variants].reverse() : variants) {
    const s = await round(v);
    if (r > 0) samples.get(k)?.push(s);
  }
}
await worker.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [k, xs] of samples) {
  console.log(`${k}: main thread ${median(xs.map((x) => x.main)).toFixed(1)} µs, all threads ${median(xs.map((x) => x.all)).toFixed(1)} µs per check (medians of ${xs.length}; ${xs.map((x) => `${x.main.toFixed(1)}/${x.all.toFixed(1)}`).join(', ')}); load ${loadavg()[0]?.toFixed(2)}`);
}
