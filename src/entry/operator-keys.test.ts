import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { OperatorAuth } from '../kernel/auth/operator-roles.ts';
import { loadOperatorVerifier } from './operator-keys.ts';

type Run = { code: number; stdout: string; stderr: string };

function kee(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', ['bin/kee.mjs', ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

describe('operator keys at init, and `kee operator token`', () => {
  it('without KEE_OPERATOR_JWKS: a development key pair (0600, said in the log) made once and reused; the CLI mints tokens it accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-op-'));
    const log: string[] = [];
    const verifier = await loadOperatorVerifier({}, dir, (l) => log.push(l));
    expect(log.join('\n')).toMatch(/DEVELOPMENT key under .*dev-operator.*kee operator token --role operator/);
    const keyFile = join(dir, 'dev-operator', 'operator.jwk');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(join(dir, 'dev-operator', 'jwks.json'), 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const minted = await kee({ KEE_DATA_DIR: dir }, 'operator', 'token', '--role', 'operator', '--ttl', '600');
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(minted.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0]!.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ roles: ['operator'], sub: 'dev-operator' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);

    // the next start reuses the key: the token still verifies, and the role rule applies
    const again = new OperatorAuth(await loadOperatorVerifier({}, dir, () => {}));
    await expect(again.authenticate(token, ['operator'])).resolves.toEqual({ subject: 'dev-operator', roles: ['operator'] });
    await expect(again.authenticate(token, ['auditor'])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(new OperatorAuth(verifier).authenticate(token, ['operator'])).resolves.toMatchObject({ subject: 'dev-operator' });
    // a key set that is not the dev key's refuses it
    const elsewhere = mkdtempSync(join(tmpdir(), 'kee-op-'));
    await expect(new OperatorAuth(await loadOperatorVerifier({}, elsewhere, () => {})).authenticate(token, ['operator'])).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  }, 60_000);

  it('KEE_OPERATOR_JWKS as a file, with issuer and audience that minted tokens carry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-op-'));
    await loadOperatorVerifier({}, dir, () => {});
    const env = { KEE_OPERATOR_JWKS: join(dir, 'dev-operator', 'jwks.json'), KEE_OPERATOR_ISSUER: 'https://idp.example', KEE_OPERATOR_AUDIENCE: 'kee' };
    const log: string[] = [];
    const auth = new OperatorAuth(await loadOperatorVerifier(env, mkdtempSync(join(tmpdir(), 'kee-op-')), (l) => log.push(l)));
    expect(log.join('\n')).toContain('1 key(s) in');
    expect(log.join('\n')).not.toContain('DEVELOPMENT');
    const withClaims = (await kee({ ...env, KEE_DATA_DIR: dir }, 'operator', 'token', '--role', 'auditor', '--role', 'approver', '--sub', 'bob')).stdout.trim();
    await expect(auth.authenticate(withClaims, ['auditor'])).resolves.toEqual({ subject: 'bob', roles: ['auditor', 'approver'] });
    const without = (await kee({ KEE_DATA_DIR: dir }, 'operator', 'token', '--role', 'auditor')).stdout.trim();
    await expect(auth.authenticate(without, ['auditor'])).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('`iss`') });
  }, 60_000);

  it('a bad KEE_OPERATOR_JWKS is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-op-'));
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, 'nope');
    const hmac = join(dir, 'hmac.json');
    writeFileSync(hmac, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    const cases: [string, RegExp][] = [
      ['http://idp.example/jwks', /must be an https URL or a file/],
      [join(dir, 'missing.json'), /no such file/],
      [notJson, /is not JSON/],
      [hmac, /symmetric/],
    ];
    for (const [value, message] of cases) await expect(loadOperatorVerifier({ KEE_OPERATOR_JWKS: value }, dir, () => {}), value).rejects.toThrow(message);
  });

  it('usage errors of `kee operator token` are one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-op-'));
    const cases: [string[], RegExp][] = [
      [['operator', 'token'], /give at least one --role/],
      [['operator', 'token', '--role', 'admin'], /--role must be one of operator, auditor, approver/],
      [['operator', 'token', '--role', 'operator', '--ttl', '0'], /--ttl must be a whole number/],
      [['operator', 'token', '--role', 'operator', '--ttl', '1.5'], /--ttl must be a whole number/],
      [['operator', 'token', '--role', 'operator'], /no operator key .*start the kernel once/],
      [['operator', 'mint'], /unknown command `operator mint`/],
    ];
    for (const [args, message] of cases) {
      const r = await kee({ KEE_DATA_DIR: dir }, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
