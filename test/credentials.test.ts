import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import canonicalize from 'canonicalize';
import { v5 as uuidv5 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { JoseTokenSigner } from '../src/adapters/jose/token-signer.ts';
import { DomainError } from '../src/kernel/errors.ts';
import { toHex } from '../src/kernel/hex.ts';
import { agentRead, approvedGold, classifyGold, makeHarness } from './support/harness.ts';

type H = ReturnType<typeof makeHarness>;
const records = (h: H, sessionId: string) => h.store.rawRecords(sessionId).map((r) => JSON.parse(r.canonical));
const claimsOf = (jws: string) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(jws.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));

/** The intent fingerprint computed here from the digest's words, independently of the kernel. */
function intentOf(req: { principal: unknown; action: unknown; resource: unknown; context: unknown }): string {
  const { principal, action, resource, context } = req;
  return toHex(blake2b(new TextEncoder().encode(canonicalize({ principal, action, resource, context }) as string), { dkLen: 32 }));
}

/** KIA v1.1 agent XPID with the provisional registry entry `{"agent_id": …}`. */
function xpidOf(kernelId: string, agentId: string): string {
  const entry = toHex(sha256(new TextEncoder().encode(canonicalize({ agent_id: agentId }) as string)));
  return uuidv5(`${kernelId}:${entry}`, '447994dc-9ddf-578f-a851-3a77d8f7ae42');
}

describe('intent-bound credentials', () => {
  it('the JWKS publishes the token key (RFC 7638 kid), distinct from the block-signing key, and the manifest declares it', async () => {
    const h = makeHarness();
    const res = await h.call('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
    const [key, ...more] = res.json.keys;
    expect(more).toEqual([]);
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' });
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.x }));
    const raw = toHex(Uint8Array.from(atob(key.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
    expect(raw).not.toBe(toHex(h.signer.publicKey()));
    const manifest = (await h.call('GET', '/v1/manifest')).json;
    expect(manifest.token_keys).toEqual([{ kid: key.kid, public_key: raw }]);
  });

  it('a PERMIT carries a credential with exactly the claims, 60 s to the second, verified against the JWKS', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'agent-7' });
    const request = { ...agentRead(), context: { ticket: 42, note: 'é' } };
    const before = Math.floor(Date.now() / 1000);
    const d = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...request, audience: 'https://provider.example' })).json;
    const after = Math.floor(Date.now() / 1000);
    expect(d.decision).toBe('PERMIT');
    const header = decodeProtectedHeader(d.credential);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'kee-credential+jwt', kid: h.tokens.kid });
    const jwks = createLocalJWKSet((await h.call('GET', '/.well-known/jwks.json')).json);
    const { payload } = await jwtVerify(d.credential, jwks, { algorithms: ['EdDSA'], typ: 'kee-credential+jwt', audience: 'https://provider.example' });
    expect(Object.keys(payload).sort()).toEqual(['ale_seq', 'aud', 'block_id', 'cap_profile_hash', 'cedar_policy_hash', 'exp', 'iat', 'intent', 'iss', 'jti', 'nbf', 'sub'].sort());
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload).toMatchObject({
      iss: `kee.local/${h.kernel.kernelId}`,
      sub: xpidOf(h.kernel.kernelId, 'agent-7'),
      aud: 'https://provider.example',
      intent: intentOf(request),
      ale_seq: d.ale_seq,
      block_id: s.block_id,
      cedar_policy_hash: d.cedar_policy_hash,
      cap_profile_hash: null,
    });
    expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // the decision record names the credential: the audit package proves which decision issued it
    const rec = records(h, s.session_id).find((r) => r.ale_seq === d.ale_seq);
    expect(rec).toMatchObject({ ale_type: 'CEDAR_PERMIT', credential_jti: payload.jti, intent: payload.intent });
  });

  it('without an audience the credential has no `aud`; a DENY carries no credential and its record names none', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const permit = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json;
    expect(claimsOf(permit.credential)).not.toHaveProperty('aud');
    const deny = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(false))).json;
    expect(deny.decision).toBe('DENY');
    expect(deny).not.toHaveProperty('credential');
    const rec = records(h, s.session_id).find((r) => r.ale_seq === deny.ale_seq);
    expect(rec.ale_type).toBe('CEDAR_DENY');
    expect(rec).not.toHaveProperty('credential_jti');
    expect(rec).not.toHaveProperty('intent');
  });

  it('batch and one-shot PERMITs carry their own credentials (one-shot `sub`: the principal session agent)', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const approved = await approvedGold(h, `/v1/sessions/${s.session_id}/authorize`);
    const batch = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead(), classifyGold(false), approved] })).json.results;
    expect(batch.map((r: { credential?: string }) => r.credential !== undefined)).toEqual([true, false, true]);
    expect(claimsOf(batch[0].credential).intent).toBe(intentOf(agentRead()));
    // the intent is the request as the agent sent it (`context` {}), not the kernel's `context.hem` facts
    expect(claimsOf(batch[2].credential).intent).toBe(intentOf(classifyGold()));
    expect(claimsOf(batch[0].credential).jti).not.toBe(claimsOf(batch[2].credential).jti);
    const one = (await h.call('POST', '/v1/authorize', agentRead('a9'))).json;
    const c = claimsOf(one.credential);
    expect(c).toMatchObject({ ale_seq: one.ale_seq, block_id: one.block_id, sub: xpidOf(h.kernel.kernelId, 'Agent::"a9"') });
    const rec = records(h, one.session_id).find((r) => r.ale_seq === one.ale_seq);
    expect(rec.credential_jti).toBe(c.jti);
    // the signature is the token key's, over exactly these bytes
    await expect(compactVerify(one.credential, await crypto.subtle.importKey('jwk', { ...h.tokens.jwk }, 'Ed25519', false, ['verify']))).resolves.toBeDefined();
  });

  it('a PERMIT whose credential cannot be signed answers 503 SIGNER_FAILED (fail closed); a DENY is unaffected', async () => {
    const broken = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    broken.sign = async () => {
      throw new DomainError('SIGNER_FAILED', 'the token key cannot sign: test');
    };
    const h = makeHarness({ deps: { tokens: broken } });
    const r = await h.call('POST', '/v1/authorize', agentRead());
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('SIGNER_FAILED');
    expect(r.json).not.toHaveProperty('credential');
    expect((await h.call('POST', '/v1/authorize', classifyGold(false))).json.decision).toBe('DENY');
  });

  it('refuses an audience that is not a non-empty string', async () => {
    const h = makeHarness();
    for (const audience of ['', 7, ['a']]) {
      const r = await h.call('POST', '/v1/authorize', { ...agentRead(), audience });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('INVALID_INPUT');
    }
  });
});

describe('introspection, revocation and the revocation feed', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('introspects an active credential (RFC 7662) and answers only `active: false` for anything else', async () => {
    const h = makeHarness();
    const d = (await h.call('POST', '/v1/authorize', agentRead())).json;
    const on = await h.call('POST', '/v1/credentials/introspect', { token: d.credential });
    expect(on.status).toBe(200);
    expect(on.json).toEqual({ active: true, ...claimsOf(d.credential) });
    const form = await h.call('POST', '/v1/credentials/introspect', `token=${encodeURIComponent(d.credential)}&token_type_hint=access_token`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.json.active).toBe(true);
    const other = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const forged = await other.sign('kee-credential+jwt', claimsOf(d.credential));
    // the signature's first character changed: six bits of R
    const [hd, pl, sig] = d.credential.split('.');
    const flipped = `${hd}.${pl}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    for (const token of ['garbage', forged, flipped]) {
      expect((await h.call('POST', '/v1/credentials/introspect', { token })).json).toEqual({ active: false });
    }
    expect((await h.call('POST', '/v1/credentials/introspect', {})).status).toBe(400);
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const bad of ['token=a&token=b', 'token=a&extra=1', '', '__proto__=x&token=a']) {
      const r = await h.call('POST', '/v1/credentials/introspect', bad, formType);
      expect(r.status, bad).toBe(400);
      expect(r.json.code).toBe('INVALID_INPUT');
    }
    expect((await h.call('POST', '/v1/credentials/introspect', 'constructor=', formType)).json.detail).not.toContain('more than once');
  });

  it('a credential past its exp (kernel clock) is inactive', async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    const h = makeHarness({ deps: { clock: { nowIso: () => new Date(now).toISOString() } } });
    const d = (await h.call('POST', '/v1/authorize', agentRead())).json;
    now += 59_000;
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d.credential })).json.active).toBe(true);
    now += 1_000;
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d.credential })).json).toEqual({ active: false });
  });

  it('revokes (RFC 7009: 200 even for an unknown token), records it, lists it in the feed, and the revocation survives a restart on libSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-cred-'));
    dirs.push(dir);
    const file = join(dir, 'kee.db');
    const seed = JoseTokenSigner.generateSeed();
    const signer = new (await import('../src/adapters/noble/ed25519.ts')).Ed25519Signer((await import('../src/adapters/noble/ed25519.ts')).Ed25519Signer.generateSeed());
    const boot = async () => {
      const client = createLibsqlClient(`file:${file}`);
      const h = makeHarness({ store: await openLibsqlStore(client, { embedded: true }), signer, deps: { tokens: new JoseTokenSigner(seed) } });
      await h.started;
      return { client, h };
    };
    const first = await boot();
    const { h } = first;
    const d1 = (await h.call('POST', '/v1/authorize', agentRead())).json;
    const d2 = (await h.call('POST', '/v1/authorize', agentRead('b'))).json;
    expect((await h.call('POST', '/v1/credentials/revoke', { token: 'not-a-credential' })).status).toBe(200);
    expect((await h.call('GET', '/v1/credentials/revocations')).json).toMatchObject({ sequence: 0, revocations: [] });
    const r = await h.call('POST', '/v1/credentials/revoke', { token: d1.credential });
    expect(r.status).toBe(200);
    expect((await h.call('POST', '/v1/credentials/revoke', { token: d1.credential })).status).toBe(200);
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d1.credential })).json).toEqual({ active: false });
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d2.credential })).json.active).toBe(true);
    const feed = (await h.call('GET', '/v1/credentials/revocations?since=0')).json;
    const jti = claimsOf(d1.credential).jti;
    expect(feed.sequence).toBe(1);
    expect(Date.parse(feed.generated_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(feed.revocations).toEqual([expect.objectContaining({ seq: 1, jti, exp: claimsOf(d1.credential).exp, kind: 'MANDATE_JTI' })]);
    expect((await h.call('GET', '/v1/credentials/revocations?since=1')).json).toMatchObject({ sequence: 1, revocations: [] });
    expect((await h.call('GET', '/v1/credentials/revocations?since=-1')).status).toBe(400);
    // an audit record in the kernel journal
    const journal = (await first.client.execute("SELECT r.canonical FROM audit_records r JOIN sessions s ON s.session_id = r.session_id WHERE s.agent_id = 'kee-kernel'")).rows.map((x) => JSON.parse(x.canonical as string));
    expect(journal.filter((x) => x.ale_type === 'CREDENTIAL_REVOKED')).toEqual([expect.objectContaining({ jti, revocation_type: 'DIRECT' })]);
    h.kernel.stop();
    first.client.close();

    const second = await boot();
    expect((await second.h.call('POST', '/v1/credentials/introspect', { token: d1.credential })).json).toEqual({ active: false });
    expect((await second.h.call('POST', '/v1/credentials/introspect', { token: d2.credential })).json.active).toBe(true);
    expect((await second.h.call('GET', '/v1/credentials/revocations')).json.revocations.map((e: { jti: string }) => e.jti)).toEqual([jti]);
    second.h.kernel.stop();
    second.client.close();
  });
});
