import { execFile } from 'node:child_process';

/** An operator token (role `operator`, 10 min) minted by `kee operator token` for the kernel of `dataDir` (its dev operator key). */
export const operatorTokenFor = (dataDir: string): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['bin/kee.mjs', 'operator', 'token', '--role', 'operator', '--ttl', '600'], { env: { ...process.env, KEE_DATA_DIR: dataDir }, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout.trim())));
  });
