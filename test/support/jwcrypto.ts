import { execFile } from 'node:child_process';

/** Runs a command, never rejects: its exit code (1 when it could not run), stdout and stderr. */
export const run = (cmd: string, args: string[], timeout = 120_000) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

/** Installs the pinned Python jwcrypto into .cache/ (scripts/jwcrypto.sh) once and returns its python. */
export async function installJwcrypto(): Promise<string> {
  const install = await run('bash', ['scripts/jwcrypto.sh'], 300_000);
  if (install.code !== 0) throw new Error(`scripts/jwcrypto.sh failed (${install.code}):\n${install.stderr.slice(-4000)}`);
  return install.stdout.trim();
}
