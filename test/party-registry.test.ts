/**
 * The KIA Party Registry (docs/party-registry.md): signed by the CAP Profile publishers (2 of
 * 3), served by the kernel, verified by a resource provider against publisher keys it pins
 * itself, and the source of the key an ACD Record must verify under. A registry signed by one
 * publisher, a tampered one, a rollback, one that omits the kernel, and an ACD Record signed by
 * a group key the registry does not list are each refused; accepted registries survive a
 * restart on libSQL (PostgreSQL: party-registry-postgres.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { toHex } from '../src/kernel/hex.ts';
import { acdRequirementsFromRegistry, kernelKeyFromRegistry, validateAcdRecord, verifyPartyRegistry, type VerifiedPartyRegistry } from '../src/verifier/index.ts';
import { capProfileDeps, makePublishers, payloadOf, sign, type Publisher } from './support/cap-profile.ts';
import { agentRead, makeHarness, type Harness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';
import { agentKeyPair, assertion, dpopHeaders } from './support/agent-auth.ts';

const PROFILE = { operator_id: 'urn:soos:kia:example-operator:jp:v1', primary_jurisdiction: 'JP', governing_law: 'Japan', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }] };
const GATEWAY = { provider_id: 'gateway', acd_required: true, resource_audiences: ['https://data.example'], acd_requirements: { jurisdiction: 'JP', regulatory_regimes: ['APPI'], min_tiers: { tier_0a: 0 } } };

/** A registry body listing the given kernels (their `GET /v1/kernel/public-key`). */
function registryBody(kernels: { key_id: string; public_key: string }[], version = 1) {
  return {
    registry_type: 'kia-party-registry',
    registry_id: 'jp-test',
    version,
    issued_at: '2026-12-01T00:00:00Z',
    kernels: kernels.map((k) => ({ kia_id: k.key_id, group_public_key: k.public_key, frost_threshold_config: 'frost:t-of-n:2-3' })),
    resource_providers: [GATEWAY],
  };
}

const pinned = (ps: Publisher[]) => ps.map((p) => toHex(p.publicKey));

async function kernelWith(publishers: Publisher[], options: Parameters<typeof makeHarness>[0] = {}): Promise<Harness> {
  const h = makeHarness({ ...options, deps: { capProfile: capProfileDeps(publishers), options: { acd: { profile: PROFILE } }, ...options.deps } });
  await h.started;
  return h;
}

/** An ACD Record served by `h` for a fresh session of a registered agent, with what validation needs. */
async function acdRecord(h: Harness, agentId = 'a1') {
  const reg = await h.kernel.registerAgent({ agent_id: agentId, public_keys: [] }, 'op');
  const s = await h.kernel.openSession(agentId);
  const r = await h.call('GET', `/.well-known/soos-acd?aep_session_id=${s.session_id}`, undefined, { accept: 'application/soos-acd+json' });
  expect(r.status, r.text).toBe(200);
  return { body: r.text, xpid: String(reg.xpid), session: s.session_id };
}

describe('the KIA Party Registry', () => {
  it('signed by 2 of 3 publishers: the kernel stores and serves it, the provider verifies it against its own pinned keys and validates an ACD Record with the key it lists', async () => {
    const publishers = await makePublishers(3);
    const h = await kernelWith(publishers);
    const me = h.kernel.publicKey();
    const jws = await sign(registryBody([me]), [publishers[0]!, publishers[2]!]);
    const put = await h.call('PUT', '/v1/party-registry', jws);
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ seq: 1, registry_id: 'jp-test', version: 1, registry_hash: toHex(sha256(payloadOf(registryBody([me])))), publishers: [publishers[0]!.kid, publishers[2]!.kid].sort() });
    const accepted = (await journalRecords(h.store)).filter((r) => r.ale_type === 'PARTY_REGISTRY_ACCEPTED');
    expect(accepted).toEqual([expect.objectContaining({ version: 1, registry_hash: put.json.registry_hash, kernels: 1, resource_providers: 1 })]);

    // the provider: the JWS as served, checked against the publisher keys it pins (not the kernel's word)
    const got = await h.call('GET', '/v1/party-registry');
    expect(got.json.jws).toEqual(jws);
    const v = await verifyPartyRegistry(got.json.jws, { publisherKeys: pinned(publishers) });
    expect(v.ok).toBe(true);
    const registry = v as VerifiedPartyRegistry;
    expect(registry.publishers).toEqual(put.json.publishers);
    expect(kernelKeyFromRegistry(registry, me.key_id)).toBe(me.public_key);
    const requirements = acdRequirementsFromRegistry(registry, 'gateway');
    expect(requirements).toEqual({ jurisdiction: 'JP', regulatoryRegimes: ['APPI'], minTiers: { tier_0a: 0 } });

    const rec = await acdRecord(h);
    const ok = await validateAcdRecord(rec.body, { partyRegistry: registry, expectedXpid: rec.xpid, aepSessionId: rec.session, requirements: requirements! });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    // a record changed after signing fails under the registry key
    const changed = JSON.stringify({ ...JSON.parse(rec.body), operator_id: 'urn:someone-else' });
    expect(await validateAcdRecord(changed, { partyRegistry: registry, expectedXpid: rec.xpid, aepSessionId: rec.session, requirements: requirements! })).toMatchObject({ ok: false, step: 1, failed_field: 'gec_signature' });
    h.kernel.stop();
  });

  it('an ACD Record signed by a group key the registry does not list is refused at validation 1', async () => {
    const publishers = await makePublishers(3);
    const listed = await kernelWith(publishers);
    const other = await kernelWith(publishers);
    const registry = await verifyPartyRegistry(await sign(registryBody([listed.kernel.publicKey()]), publishers.slice(0, 2)), { publisherKeys: pinned(publishers) });
    expect(registry.ok).toBe(true);
    const rec = await acdRecord(other);
    const v = await validateAcdRecord(rec.body, { partyRegistry: registry as VerifiedPartyRegistry, expectedXpid: rec.xpid, aepSessionId: rec.session, requirements: { jurisdiction: 'JP' } });
    expect(v).toMatchObject({ ok: false, step: 1, failed_layer: 3, failed_field: 'gec_signature' });
    expect((v as { reason: string }).reason).toBe(`kernel ${other.kernel.publicKey().key_id} is not in the KIA Party Registry`);
    // naming the listed kernel does not help a record signed by another key
    const forged = JSON.parse(rec.body) as { gec_manifest_ref: string };
    forged.gec_manifest_ref = forged.gec_manifest_ref.replace(other.kernel.publicKey().key_id, listed.kernel.publicKey().key_id);
    expect(await validateAcdRecord(JSON.stringify(forged), { partyRegistry: registry as VerifiedPartyRegistry, expectedXpid: rec.xpid, aepSessionId: rec.session, requirements: { jurisdiction: 'JP' } })).toMatchObject({ ok: false, step: 1, failed_field: 'gec_signature' });
    listed.kernel.stop();
    other.kernel.stop();
  });

  it('refused by the kernel and by the provider: 1 of 3 publishers, a tampered payload, unpinned publishers; by the kernel: a rollback and a registry without this kernel', async () => {
    const publishers = await makePublishers(3);
    const h = await kernelWith(publishers);
    const me = h.kernel.publicKey();
    const keys = { publisherKeys: pinned(publishers) };

    const one = await sign(registryBody([me]), [publishers[1]!]);
    expect((await h.call('PUT', '/v1/party-registry', one)).json).toMatchObject({ status: 422, code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT', detail: '1 of the 3 pinned publishers signed the party registry, 2 are required' });
    expect(await verifyPartyRegistry(one, keys)).toMatchObject({ ok: false, code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT' });

    // the payload swapped for another kernel's key after signing: no signature covers it
    const good = await sign(registryBody([me]), publishers.slice(0, 2));
    const evil = { key_id: toHex(sha256(new Uint8Array(32).fill(7))), public_key: toHex(new Uint8Array(32).fill(7)) };
    const tampered = { ...good, payload: Buffer.from(payloadOf(registryBody([me, evil]))).toString('base64url') };
    const t = await h.call('PUT', '/v1/party-registry', tampered);
    expect(t.json).toMatchObject({ status: 422, code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT' });
    expect(t.json.facts.invalid_signatures).toHaveLength(2);
    expect(await verifyPartyRegistry(tampered, keys)).toMatchObject({ ok: false, code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT' });

    // a provider pinning other publishers refuses what the kernel's publishers signed
    const strangers = await makePublishers(3);
    expect(await verifyPartyRegistry(good, { publisherKeys: pinned(strangers) })).toMatchObject({ ok: false, code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT' });

    // a kia_id that is not the hash of its key
    const lying = registryBody([{ key_id: evil.key_id, public_key: me.public_key }]);
    expect((await h.call('PUT', '/v1/party-registry', await sign(lying, publishers.slice(0, 2)))).json).toMatchObject({ status: 422, code: 'PARTY_REGISTRY_MALFORMED', detail: 'kernels[0].kia_id is not the SHA-256 of its group_public_key' });
    // one that does not list this kernel
    expect((await h.call('PUT', '/v1/party-registry', await sign(registryBody([evil]), publishers.slice(0, 2)))).json).toMatchObject({ status: 409, code: 'PARTY_REGISTRY_KERNEL_MISSING' });
    expect((await h.call('GET', '/v1/party-registry')).json).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    expect((await h.call('PUT', '/v1/party-registry', good)).status).toBe(200);
    expect((await h.call('PUT', '/v1/party-registry', good)).json).toMatchObject({ status: 409, code: 'PARTY_REGISTRY_ROLLBACK' });
    expect((await h.call('PUT', '/v1/party-registry', await sign(registryBody([me], 2), publishers.slice(1)))).json).toMatchObject({ seq: 2, version: 2 });
    expect((await journalRecords(h.store)).filter((r) => r.ale_type === 'PARTY_REGISTRY_ACCEPTED').map((r) => r.version)).toEqual([1, 2]);
    h.kernel.stop();
  });

  it('the kernel honours acd_required from the registry\'s provider entries: DENY ACD_REQUIRED for the audience until that provider reported GRANTED in the session', async () => {
    const publishers = await makePublishers(3);
    const ops = await makeOperators();
    const h = await kernelWith(publishers, { deps: { operatorTokens: ops.verifier, options: { auth: 'agents', acd: { profile: PROFILE } } } });
    const op = await ops.bearer('operator');
    const agentKey = await agentKeyPair();
    const providerKey = await agentKeyPair();
    const AUD = GATEWAY.resource_audiences[0]!;
    expect((await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [agentKey.jwk] }, op)).status).toBe(201);
    // registered as a provider without any declaration of its own
    expect((await h.call('POST', '/v1/agents', { agent_id: 'gateway', roles: ['resource_provider'], public_keys: [providerKey.jwk] }, op)).status).toBe(201);
    const opened = (await h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(agentKey, 'a1', h.kernel.issuer) })).json;
    const path = `/v1/sessions/${opened.session_id}/authorize`;
    const ask = async (audience: string) => (await h.call('POST', path, { ...agentRead('a1'), audience }, await dpopHeaders(agentKey, 'POST', `http://kee.test${path}`, opened.session_token))).json;
    expect((await ask(AUD)).decision).toBe('PERMIT');
    expect((await h.call('PUT', '/v1/party-registry', await sign(registryBody([h.kernel.publicKey()]), publishers.slice(0, 2)))).status).toBe(200);
    const gated = await ask(AUD);
    expect(gated.decision).toBe('DENY');
    expect(gated.reasons[0]).toMatch(/^ACD_REQUIRED: resource provider `gateway` declares acd_required for audience "https:\/\/data\.example"/);
    expect((await ask('https://other.example')).decision).toBe('PERMIT');
    const provider = async () => ({ authorization: `Bearer ${await assertion(providerKey, 'gateway', h.kernel.issuer)}` });
    const record = JSON.parse((await h.call('GET', `/.well-known/soos-acd?aep_session_id=${opened.session_id}`, undefined, { accept: 'application/soos-acd+json', ...(await provider()) })).text);
    expect((await h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' }, await provider())).status).toBe(200);
    const granted = await ask(AUD);
    expect(granted.decision).toBe('PERMIT');
    expect(typeof granted.credential).toBe('string');
    h.kernel.stop();
  });

  it('without configured publishers a registry cannot be accepted (503 UNAVAILABLE)', async () => {
    const h = makeHarness();
    await h.started;
    const publishers = await makePublishers(3);
    expect((await h.call('PUT', '/v1/party-registry', await sign(registryBody([h.kernel.publicKey()]), publishers))).json).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    h.kernel.stop();
  });

  it('on libSQL, the accepted registry is served again after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-party-registry-'));
    const publishers = await makePublishers(3);
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const boot = async () => {
      const client = createLibsqlClient(`file:${join(dir, 'kee.db')}`);
      return { client, h: await kernelWith(publishers, { store: await openLibsqlStore(client, { embedded: true }), signer }) };
    };
    try {
      const first = await boot();
      const jws = await sign(registryBody([first.h.kernel.publicKey()]), publishers.slice(0, 2));
      const put = await first.h.call('PUT', '/v1/party-registry', jws);
      expect(put.status, put.text).toBe(200);
      first.h.kernel.stop();
      first.client.close();
      const second = await boot();
      const got = await second.h.call('GET', '/v1/party-registry');
      expect(got.json).toEqual({ ...put.json, jws });
      expect((await second.h.call('PUT', '/v1/party-registry', jws)).json.code).toBe('PARTY_REGISTRY_ROLLBACK');
      second.h.kernel.stop();
      second.client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
