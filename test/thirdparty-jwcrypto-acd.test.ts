/**
 * An ACD Record verified by a third-party JOSE library in another language: Python jwcrypto
 * (pinned, installed into .cache/ by scripts/jwcrypto.sh) checks `gec_signature` as a detached
 * EdDSA JWS over the JCS of the record's other members, against the kernel's KIA key
 * (test/thirdparty/python/verify_acd_record.py).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installJwcrypto, run } from './support/jwcrypto.ts';
import { agentKeyPair } from './support/agent-auth.ts';
import { makeHarness } from './support/harness.ts';

let python: string;

beforeAll(async () => {
  python = await installJwcrypto();
}, 310_000);

async function jwcryptoVerify(record: string, keyHex: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kee-jwcrypto-acd-'));
  writeFileSync(join(dir, 'record.json'), record);
  return run(python, ['test/thirdparty/python/verify_acd_record.py', join(dir, 'record.json'), keyHex]);
}

describe('an ACD Record verified by Python jwcrypto', () => {
  it('verifies as a detached JWS over the JCS of the record, by the KIA key; the served body is JCS; a changed member or another key fails', async () => {
    const h = makeHarness({ deps: { options: { acd: { profile: { operator_id: 'urn:soos:kia:op', governing_law: '日本法' } } } } });
    await h.started;
    await h.kernel.registerAgent({ agent_id: 'a1', public_keys: [(await agentKeyPair()).jwk] }, 'op');
    const s = await h.kernel.openSession('a1');
    const r = await h.call('GET', `/.well-known/soos-acd?aep_session_id=${s.session_id}`);
    expect(r.status, r.text).toBe(200);
    const key = h.kernel.publicKey().public_key;
    const ok = await jwcryptoVerify(r.text, key);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ header: { alg: 'EdDSA', kid: h.kernel.kernelId, typ: 'soos-acd+jws' }, served_is_jcs: true });
    const changed = JSON.stringify({ ...JSON.parse(r.text), operator_id: 'urn:someone-else' });
    expect((await jwcryptoVerify(changed, key)).code).not.toBe(0);
    expect((await jwcryptoVerify(r.text, 'ab'.repeat(32))).code).not.toBe(0);
  });
});
