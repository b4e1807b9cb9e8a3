/**
 * `kee` as a newcomer first meets it: `--version`, an unknown command, a malformed
 * `--public-key`. Usage errors are one line on stderr and exit 2; never a verification verdict.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeBigPackage } from './support/big-package.ts';

type Run = { code: number; stdout: string; stderr: string };

function kee(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', ['bin/kee.mjs', ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

/** Exit 2, nothing on stdout, exactly one line on stderr starting `kee:`. */
function oneLineUsageError(r: Run): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^kee: /);
  return lines[0] as string;
}

describe('kee usage', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await kee(flag);
      expect(r.code, flag).toBe(0);
      expect(r.stdout).toBe(`kee ${version}\n`);
    }
  }, 60_000);

  it('an unknown command says so in one line and points at --help (exit 2)', async () => {
    for (const [args, name] of [[['frobnicate'], 'frobnicate'], [['audit', 'verifyy', 'x.json'], 'audit verifyy'], [['policy', 'bogus'], 'policy bogus']] as const) {
      const line = oneLineUsageError(await kee(...args));
      expect(line).toBe(`kee: unknown command \`${name}\`: \`kee${name.startsWith('policy') ? ' policy' : ''} --help\` lists the commands`);
    }
    expect((await kee('--help')).code).toBe(0);
  }, 60_000);

  describe('a malformed --public-key is a usage error, not a signature failure', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kee-usage-')), 'pkg.ndjson');
    let publicKey = '';
    beforeAll(async () => {
      ({ publicKey } = await writeBigPackage(file, 3));
    }, 60_000);

    it('exit 2 with one line naming the flag', async () => {
      for (const bad of ['xyz', publicKey.slice(2), `${publicKey}00`, `0x${publicKey.slice(2)}`, 'g'.repeat(64)]) {
        const line = oneLineUsageError(await kee('audit', 'verify', file, '--public-key', bad));
        expect(line).toBe(`kee: --public-key must be 64 hex characters (the kernel's Ed25519 public key, GET /v1/kernel/public-key), got \`${bad}\``);
      }
      // well-formed keys still verify: the right one passes, another one fails as a verdict (1)
      expect((await kee('audit', 'verify', file, '--public-key', publicKey.toUpperCase())).code).toBe(0);
      const other = await kee('audit', 'verify', file, '--public-key', 'ab'.repeat(32));
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('FAIL public_key');
    }, 60_000);
  });
});
