/**
 * Kee instances of a policy cluster for the tests: the Node entry (`src/entry/node.ts`) as a
 * child process on a free loopback port, `KEE_AUTH=none`, the given publisher keys and etcd
 * endpoints, fast cluster timings. `kill()` is SIGKILL (a crash); `start` again on the same data
 * directory is a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export type ClusterKernel = { base: string; dataDir: string; kill: () => Promise<void>; stop: () => Promise<void>; output: () => string };

export const FAST_CLUSTER_ENV = { KEE_CLUSTER_POLL_MS: '200', KEE_CLUSTER_HEARTBEAT_TIMEOUT_MS: '1500', KEE_CLUSTER_STALE_WINDOW_MS: '3000' };

export async function startClusterKernel(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'kee-cluster-'))): Promise<ClusterKernel> {
  const port = await freePort();
  const child: ChildProcess = spawn(join('node_modules', '.bin', 'tsx'), ['src/entry/node.ts'], {
    env: { ...process.env, KEE_AUTH: 'none', PORT: String(port), KEE_DATA_DIR: dataDir, ...FAST_CLUSTER_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, sig);
    } catch {
      return;
    }
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  const k = { base, dataDir, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), output: () => out };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`kernel exited with ${child.exitCode}:\n${out}`);
    try {
      // 200 only once the node is SERVING the cluster's committed version
      if ((await fetch(`${base}/healthz`)).status === 200) return k;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await k.kill();
  throw new Error(`kernel did not become healthy in time:\n${out}`);
}
