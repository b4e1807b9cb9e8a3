/**
 * Builds a Worker bundle as `wrangler deploy` would upload it (`--dry-run`, no network) and reads
 * its size: wrangler's own "Total Upload" figures (raw and gzip, in KiB, what Cloudflare's plan
 * limits apply to), the files written, and the esbuild inputs the JavaScript bundle took in.
 * Shared by bench/footprint/run.ts and test/footprint.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type WorkerBundle = {
  /** wrangler's "Total Upload", KiB. */
  rawKiB: number;
  gzipKiB: number;
  /** The files wrangler would upload (name → bytes), source maps included if it wrote any. */
  files: Record<string, number>;
  /** The source files esbuild put into the JavaScript bundle (paths relative to the repository). */
  inputs: string[];
  /** Of those, what each one put into the JavaScript bundle, in bytes (0: tree-shaken away). */
  bytesInBundle: Record<string, number>;
};

/** `env`: a wrangler environment (`cedar`), or none for the default Worker. */
export async function buildWorkerBundle(env?: string): Promise<WorkerBundle> {
  const out = mkdtempSync(join(tmpdir(), 'kee-bundle-'));
  try {
    const meta = join(out, 'meta.json');
    const bundle = join(out, 'bundle');
    const { stdout, stderr } = await run(
      join('node_modules', '.bin', 'wrangler'),
      ['deploy', '--dry-run', '--outdir', bundle, '--metafile', meta, ...(env ? ['--env', env] : [])],
      { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(stdout + stderr);
    if (!total) throw new Error(`wrangler printed no "Total Upload" line:\n${stdout}\n${stderr}`);
    const files: Record<string, number> = {};
    for (const f of readdirSync(bundle)) if (f !== 'README.md') files[f] = statSync(join(bundle, f)).size;
    const metafile = JSON.parse(readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const bytesInBundle: Record<string, number> = {};
    for (const output of Object.values(metafile.outputs)) for (const [p, { bytesInOutput }] of Object.entries(output.inputs)) bytesInBundle[p] = (bytesInBundle[p] ?? 0) + bytesInOutput;
    return { rawKiB: Number(total[1]), gzipKiB: Number(total[2]), files, inputs: Object.keys(metafile.inputs), bytesInBundle };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
