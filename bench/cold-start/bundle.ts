/**
 * The default Worker bundled as `wrangler deploy` would upload it (`--dry-run --outdir`, no
 * network), kept in a temporary directory for bench/cold-start's `workerd-direct` rows
 * (miniflare-host.ts runs it). `root`: the checkout to bundle (its wrangler.toml and src/).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function bundleWorker(root = '.'): Promise<{ dir: string; remove: () => void }> {
  const out = mkdtempSync(join(tmpdir(), 'kee-cold-bundle-'));
  const dir = join(out, 'bundle');
  await run(resolve('node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', dir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { dir, remove: () => rmSync(out, { recursive: true, force: true }) };
}
