/**
 * Runs a built Worker bundle (`wrangler deploy --dry-run --outdir <dir>`) under workerd through
 * Miniflare's API, without wrangler: no bundling at start and no proxy in front of the Worker
 * (requests go straight to workerd's socket, whose entry worker hands them to ours inside the same
 * process). D1 is Miniflare's local D1, the same SQLite-backed Durable Object `wrangler dev` uses,
 * kept in the persist directory. Prints `Ready on <url>` once Miniflare's `ready` resolves: workerd
 * has loaded the Worker (its WASM compiled, its global scope run) and listens.
 * Usage: `tsx bench/cold-start/miniflare-host.ts <bundle dir> <port> <persist dir> '<vars as JSON>'`
 * (bench/footprint/cold-start.ts, runtime `workerd-direct`).
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';

const [bundle, port, persist, vars] = process.argv.slice(2);
if (!bundle || !port || !persist) throw new Error('usage: miniflare-host.ts <bundle dir> <port> <persist dir> [vars JSON]');

const mf = new Miniflare({
  modules: true,
  scriptPath: join(bundle, 'workers.js'),
  modulesRoot: bundle,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  // what wrangler.toml gives the Worker
  compatibilityDate: '2026-04-01',
  compatibilityFlags: ['nodejs_compat'],
  d1Databases: { DB: '00000000-0000-4000-8000-000000000000' },
  d1Persist: persist,
  bindings: JSON.parse(vars ?? '{}') as Record<string, string>,
  host: '127.0.0.1',
  port: Number(port),
  // the Worker's own lines (`kee: startup: …`) as workerd prints them
  handleRuntimeStdio(stdout: Readable, stderr: Readable) {
    stdout.pipe(process.stdout);
    stderr.pipe(process.stderr);
  },
});
const url = await mf.ready;
console.log(`Ready on ${url.href}`);
process.once('SIGTERM', () => void mf.dispose().finally(() => process.exit(0)));
