/**
 * bench/signing, sidecar A/B: the same whole 2-of-3 sidecar signature from two source trees (for
 * example the commit before a change and after it), in one process with the signatures
 * interleaved (A, B, B, A, ...), so both see the same machine load. Each tree gets its own three
 * `kee signer serve` processes started from its own root, and its own FrostSigner and client
 * built from its own modules (with `node:crypto` request signatures and the `node:http` exchange
 * when the tree has them, else what it had). Prints one JSON line per tree.
 *
 * Run: `git archive <commit> | tar -x -C /tmp/kee-a && ln -s "$PWD/node_modules" /tmp/kee-a/`, then
 * `MODE=tcp|unix N=1000 npx tsx bench/signing/sidecars-ab.ts /tmp/kee-a .`
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const trees = process.argv.slice(2);
if (trees.length < 1) throw new Error('usage: sidecars-ab.ts <tree> [<tree> ...]');
const mode = process.env.MODE ?? 'tcp';
const N = Number(process.env.N ?? 1000);
const env = { ...process.env, KEE_SHARE_KEK: 'b6'.repeat(32) };
const MESSAGE = new Uint8Array(64).fill(7);
const children: ChildProcess[] = [];

type Signer = { sign(m: Uint8Array): Promise<Uint8Array> };

async function serve(root: string, args: string[]): Promise<void> {
  const child = spawn('node', ['bin/kee.mjs', 'signer', 'serve', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      if (out.includes('listening on')) ok();
    });
    child.once('exit', (code) => fail(new Error(`sidecar in ${root} exited with ${code}`)));
  });
}

async function setup(root: string): Promise<{ root: string; signer: Signer; times: number[] }> {
  // each tree's own modules, whatever their shape in that tree
  const load = (p: string): Promise<any> => import(resolve(root, p));
  const { FrostSigner } = await load('src/adapters/frost/frost-signer.ts');
  const { HttpParticipant } = await load('src/adapters/frost/http-participant.ts');
  const { initKeeWasm } = await load('src/adapters/wasm/load.ts');
  const transport = await load('src/entry/unix-transport.ts');
  const { freePort } = await load('test/support/free-port.ts');
  const ed25519 = existsSync(join(root, 'src/entry/node-ed25519.ts')) ? { ed25519: (await load('src/entry/node-ed25519.ts')).nodeEd25519 } : {};
  const wasm = initKeeWasm(readFileSync(join(root, 'wasm/kee_wasm_bg.wasm')));
  const dir = mkdtempSync(join(tmpdir(), 'kee-ab-'));
  const frost = join(dir, 'frost');
  if (spawnSync('node', ['bin/kee.mjs', 'signer', 'keygen', '--data-dir', dir], { cwd: root, env }).status !== 0) throw new Error(`keygen failed in ${root}`);
  const publicPackage = Buffer.from(JSON.parse(readFileSync(join(frost, 'public.json'), 'utf8')).public_package, 'hex');
  const coordinatorKey = Buffer.from(readFileSync(join(frost, 'coordinator-ed25519.key'), 'utf8').trim(), 'hex');
  const ports: number[] = [await freePort(), await freePort(), await freePort()];
  const sock = (id: number) => join(dir, `p${id}.sock`);
  for (const id of [1, 2, 3]) {
    const where = mode === 'unix' ? ['--socket', sock(id)] : ['--port', String(ports[id - 1])];
    await serve(root, ['--share', join(frost, `share-${id}.json`), ...where, '--coordinator-key-file', join(frost, 'coordinator-ed25519.pub')]);
  }
  const client = (id: number) =>
    mode === 'unix'
      ? transport.unixExchange ? { exchange: transport.unixExchange(sock(id)) } : { transport: transport.unixTransport(sock(id)) }
      : transport.nodeHttpExchange ? { exchange: transport.nodeHttpExchange() } : { transport: transport.nodeHttpTransport() };
  const participants = [1, 2, 3].map(
    (id) => new HttpParticipant({ id, baseUrl: mode === 'unix' ? 'http://localhost' : `http://127.0.0.1:${ports[id - 1]}`, coordinatorKey, ...client(id), ...ed25519 }),
  );
  return { root, signer: new FrostSigner({ wasm, publicPackage, participants }) as Signer, times: [] };
}

try {
  const runs = [];
  for (const t of trees) runs.push(await setup(t));
  for (let i = 0; i < 50; i++) for (const r of runs) await r.signer.sign(MESSAGE);
  const load = loadavg().map((x) => x.toFixed(2)).join(' / ');
  for (let i = 0; i < N; i++) {
    for (const r of i % 2 ? runs : [...runs].reverse()) {
      const t0 = performance.now();
      await r.signer.sign(MESSAGE);
      r.times.push(performance.now() - t0);
    }
  }
  for (const r of runs) {
    const s = r.times.sort((a, b) => a - b);
    const at = (q: number) => +(s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(2);
    console.log(JSON.stringify({ tree: r.root, mode, n: N, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: +(s.reduce((a, b) => a + b, 0) / N).toFixed(2), load }));
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
}
