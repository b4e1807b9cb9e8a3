/** Starts `kee signer serve` processes for the sidecar tests and benchmarks. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export type Sidecar = { child: ChildProcess; output: () => string; kill: (signal?: NodeJS.Signals) => Promise<void> };

/** Runs `node bin/kee.mjs <args>` to completion. */
export function kee(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', ['bin/kee.mjs', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `kee signer serve <args>` and resolves once it says it listens (rejects if it exits first). */
export async function startSidecar(args: string[], env: Record<string, string> = {}): Promise<Sidecar> {
  const child = spawn('node', ['bin/kee.mjs', 'signer', 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start in time:\n${out}`)), 60_000);
    child.stdout?.on('data', (d) => {
      out += String(d);
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d) => (out += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
