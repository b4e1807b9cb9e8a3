/**
 * A credential verified by a third-party JOSE library in another language: Python jwcrypto
 * (pinned, installed into .cache/ by scripts/jwcrypto.sh) reads the kernel's JWKS, checks the
 * EdDSA signature by the key the header's `kid` names, `exp`, `nbf` and `aud`, and computes the
 * RFC 7638 thumbprint the kernel uses as `kid` (test/thirdparty/python/verify_credential.py).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installJwcrypto, run } from './support/jwcrypto.ts';
import { JoseTokenSigner } from '../src/adapters/jose/token-signer.ts';
import { agentRead, makeHarness } from './support/harness.ts';

let python: string;

beforeAll(async () => {
  python = await installJwcrypto();
}, 310_000);

async function jwcryptoVerify(jwks: unknown, token: string, audience: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kee-jwcrypto-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
  writeFileSync(join(dir, 'token'), token);
  return run(python, ['test/thirdparty/python/verify_credential.py', join(dir, 'jwks.json'), join(dir, 'token'), audience]);
}

describe('a credential verified by Python jwcrypto', () => {
  it('verifies against the JWKS, with the claims the kernel signed and the kid jwcrypto computes', async () => {
    const h = makeHarness();
    const d = (await h.call('POST', '/v1/authorize', { ...agentRead(), audience: 'https://files.example' })).json;
    const jwks = (await h.call('GET', '/.well-known/jwks.json')).json;
    const r = await jwcryptoVerify(jwks, d.credential, 'https://files.example');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header).toEqual({ alg: 'EdDSA', typ: 'kee-credential+jwt', kid: h.tokens.kid });
    expect(out.thumbprints).toEqual({ [h.tokens.kid]: h.tokens.kid });
    expect(out.claims.exp - out.claims.iat).toBe(60);
    expect(out.claims).toMatchObject({ aud: 'https://files.example', ale_seq: d.ale_seq, block_id: d.block_id, iss: h.kernel.issuer });
  });

  it('refuses it for another audience, and under a key the JWKS does not hold', async () => {
    const h = makeHarness();
    const d = (await h.call('POST', '/v1/authorize', { ...agentRead(), audience: 'https://files.example' })).json;
    const jwks = (await h.call('GET', '/.well-known/jwks.json')).json;
    expect((await jwcryptoVerify(jwks, d.credential, 'https://elsewhere.example')).code).not.toBe(0);
    const other = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    expect((await jwcryptoVerify({ keys: [{ ...other.jwk, kid: h.tokens.kid }] }, d.credential, 'https://files.example')).code).not.toBe(0);
  });
});
