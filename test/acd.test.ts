/**
 * P3 ACD handshake (docs/acd.md): the four checks each failing alone (their `failed_check`,
 * ALE-059, nothing issued), the passing record (JCS body, detached EdDSA JWS by the kernel key,
 * ALE-056 then ALE-057 holding only the body's SHA-256), provider authentication under
 * KEE_AUTH=agents, the grant report (ALE-058) and the start-time check (DENY_ALL).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, compactVerify, importJWK } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { runDkg } from '../src/adapters/frost/ceremony.ts';
import { FrostSigner } from '../src/adapters/frost/frost-signer.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import { ed25519Verifier, Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import { LAYER_OF } from '../src/kernel/acd/acd-record.ts';
import { canonicalJson } from '../src/kernel/jcs.ts';
import { DomainError } from '../src/kernel/errors.ts';
import type { Signer } from '../src/ports/signer.ts';
import { agentKeyPair, assertion, dpopHeaders } from './support/agent-auth.ts';
import { agentRead, engineFactory, makeHarness, type Harness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';
import { loadKeeWasm } from './support/wasm.ts';

const PROFILE = { operator_id: 'urn:soos:kia:example-operator:jp:v1', primary_jurisdiction: 'JP', governing_law: 'Japan', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }] };

function manualClock(start = Date.now()) {
  let now = start;
  return { nowIso: () => new Date(now).toISOString(), advance: (ms: number) => void (now += ms) };
}

/** A signer that fails (SIGNER_FAILED) while `down` is set; with `refuseManifests`, only for GEC Manifest bodies (their JCS opens with `agent_authentication`). */
function switchableSigner(): Signer & { down: boolean; refuseManifests: boolean } {
  const real = new Ed25519Signer(Ed25519Signer.generateSeed());
  const s = {
    down: false,
    refuseManifests: false,
    algorithm: 'Ed25519' as const,
    publicKey: () => real.publicKey(),
    describe: () => real.describe(),
    sign: async (m: Uint8Array) => {
      if (s.down || (s.refuseManifests && new TextDecoder().decode(m.subarray(0, 24)) === '{"agent_authentication":')) throw new DomainError('SIGNER_FAILED', 'signer offline');
      return real.sign(m);
    },
  };
  return s;
}

/** Every record of the kernel journal, across its sealed blocks. */
const journal = (h: Harness): Promise<Record<string, unknown>[]> => journalRecords(h.store);
const acdEvents = async (h: Harness) => (await journal(h)).filter((r) => String(r.ale_type).startsWith('ACD_'));

/** A kernel (KEE_AUTH=none) with agent `a1` registered and an open session of it. */
async function setup(options: Parameters<typeof makeHarness>[0] = {}) {
  const h = makeHarness({ ...options, deps: { ...options.deps, options: { acd: { profile: PROFILE }, ...options.deps?.options } } });
  await h.started;
  const key = await agentKeyPair();
  const agent = await h.kernel.registerAgent({ agent_id: 'a1', public_keys: [key.jwk], parents: [{ type: 'Team', id: 'ops' }] }, 'op');
  const s = await h.kernel.openSession('a1');
  const ask = (id = s.session_id, headers: Record<string, string> = {}) => h.call('GET', `/.well-known/soos-acd?aep_session_id=${id}`, undefined, { accept: 'application/soos-acd+json', ...headers });
  return { h, agent, session: s, ask };
}

async function expectRefused(s: Awaited<ReturnType<typeof setup>>, check: number) {
  const before = (await acdEvents(s.h)).length;
  const r = await s.ask();
  expect(r.status, r.text).toBe(403);
  expect(Object.keys(r.json).sort()).toEqual(['acd_session_id', 'error', 'failed_check', 'timestamp']);
  expect(r.json).toMatchObject({ error: 'ACD_CHECK_FAILED', failed_check: check });
  expect(r.json.acd_session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const events = (await acdEvents(s.h)).slice(before);
  expect(events.map((e) => e.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_VALIDATION_FAILED']);
  expect(events[1]).toMatchObject({ ale_number: 'ALE-059', failed_check: check, acd_session_id: r.json.acd_session_id, aep_session_id: s.session.session_id });
  expect(events[1]?.failed_field).toBe(check === 3 ? 'gec_signature' : undefined);
  const span = s.h.spans.getFinishedSpans().find((x) => x.name === 'soos.acd.handshake' && x.attributes['soos.acd.session_id'] === r.json.acd_session_id);
  expect(span?.attributes).toMatchObject({ 'soos.acd.validation_result': 'FAIL', 'soos.acd.failed_check': check });
  expect(String(span?.attributes['soos.acd.check_seq'])).toMatch(new RegExp(`(^|,)${check}:FAIL$`));
  return r;
}

describe('GET /.well-known/soos-acd', () => {
  it('all four checks pass: a JCS ACD Record with a detached EdDSA JWS by the kernel key; ALE-056 then ALE-057 with only its SHA-256', async () => {
    const s = await setup();
    const r = await s.ask();
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/soos-acd+json');
    const record = JSON.parse(r.text);
    expect(r.text).toBe(canonicalJson(record));
    // the record layout of digest 3.2: exactly the members of the three layers
    expect(Object.keys(record).sort()).toEqual(Object.keys(LAYER_OF).sort());
    expect(record).toMatchObject({
      agent_xpid: `urn:soos:xpid:uuid:${s.agent.xpid}`,
      aep_session_id: s.session.session_id,
      operator_id: PROFILE.operator_id,
      primary_jurisdiction: 'JP',
      cap_profile_id: DEFAULT_CAP_PROFILE.capProfileId,
      cedar_policy_hash: s.h.kernel.activePolicy().cedarPolicyHash,
      prohibition_tier_summary: { tier_0a: 0, tier_0b: 1, tier_1: 1, tier_2: 1 },
      principal_hierarchy_summary: { agent_id: 'a1', parents: [{ type: 'Team', id: 'ops' }] },
      delegation_chain_depth: 0,
      parent_kernel_id: null,
      mandate_scope_type: 'FULL',
      mjwt_jti: null,
    });
    expect(Date.parse(record.acd_validity_not_after) - Date.parse(record.acd_validity_not_before)).toBe(86_400_000);
    // the controls the serving set enforces, by id (the built-in profile's annotated policies)
    expect(record.cap_rrs_controls.map((c: { cap_rrs_control_id: string }) => c.cap_rrs_control_id)).toEqual(['disaster-response:auto-gold-needs-human', 'disaster-response:gold-after-hem', 'kee-default:read-any']);
    expect(record.cap_rrs_controls[2]).toMatchObject({ cedar_policy_id: expect.any(String), tier: expect.anything() });
    // detached JWS: put the payload (JCS of the record without gec_signature) back and verify with jose
    const { gec_signature, ...body } = record;
    const [header, empty, signature] = gec_signature.split('.');
    expect(empty).toBe('');
    const x = base64url.encode(s.h.signer.publicKey());
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA');
    const verified = await compactVerify(`${header}.${base64url.encode(canonicalJson(body))}.${signature}`, key);
    expect(verified.protectedHeader).toEqual({ alg: 'EdDSA', kid: s.h.kernel.kernelId, typ: 'soos-acd+jws' });
    await expect(compactVerify(`${header}.${base64url.encode(canonicalJson({ ...body, operator_id: 'x' }))}.${signature}`, key)).rejects.toThrow();
    const events = await acdEvents(s.h);
    expect(events.map((e) => e.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_RECORD_ISSUED']);
    expect(events[0]).toMatchObject({ ale_number: 'ALE-056', acd_session_id: record.acd_session_id, agent_xpid: record.agent_xpid, resource_provider_id: null });
    const hash = Buffer.from(sha256(new TextEncoder().encode(r.text))).toString('hex');
    expect(events[1]).toMatchObject({ ale_number: 'ALE-057', acd_session_id: record.acd_session_id, acd_record_hash: hash, kia_key_id: s.h.kernel.kernelId, acd_validity_not_after: record.acd_validity_not_after });
    // only the hash: no member of the body is in the record
    expect(JSON.stringify(events[1])).not.toContain(gec_signature);
    expect(events[1]).not.toHaveProperty('operator_id');
    // the span: soos.acd.* attributes, in the AEP session's trace
    const span = s.h.spans.getFinishedSpans().find((x) => x.name === 'soos.acd.handshake');
    expect(span?.spanContext().traceId).toBe(s.session.block_id);
    expect(span?.attributes).toMatchObject({ 'soos.acd.session_id': record.acd_session_id, 'soos.acd.check_seq': '1:PASS,2:PASS,3:PASS,4:PASS', 'soos.acd.validation_result': 'PASS', 'soos.acd.record_hash': hash, 'soos.governance.xpid': record.agent_xpid });
    // each query its own acd_session_id
    expect(JSON.parse((await s.ask()).text).acd_session_id).not.toBe(record.acd_session_id);
  });

  it('with FROST configured, the record is signed by the FROST group key (2-of-3) and verifies as plain EdDSA', async () => {
    const wasm = loadKeeWasm();
    const { participants, publicPackage, groupKey } = runDkg(wasm);
    const s = await setup({ signer: new FrostSigner({ wasm, publicPackage, participants }) });
    const r = await s.ask();
    expect(r.status, r.text).toBe(200);
    const { gec_signature, ...body } = JSON.parse(r.text);
    const [header, , signature] = gec_signature.split('.');
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url.encode(groupKey) }, 'EdDSA');
    await compactVerify(`${header}.${base64url.encode(canonicalJson(body))}.${signature}`, key);
    expect(s.h.kernel.publicKey().public_key).toBe(Buffer.from(groupKey).toString('hex'));
  });

  it('Check 1 fails alone when the manifest is older than the staleness window (kernel clock) and could not be re-issued', async () => {
    const clock = manualClock();
    const signer = switchableSigner();
    const s = await setup({ deps: { clock }, signer });
    expect((await s.ask()).status).toBe(200);
    // the re-issue at half the window (docs/acd.md) needs a manifest signature: refused here, the stale manifest stays
    signer.refuseManifests = true;
    clock.advance(86_401_000);
    await s.h.kernel.tick(); // the journal's due block is sealed first (the handshake's records then share one)
    await expectRefused(s, 1);
  });

  it('Check 1: the window is configurable lower', async () => {
    const clock = manualClock();
    const signer = switchableSigner();
    const s = await setup({ deps: { clock, options: { acd: { profile: PROFILE, manifestMaxAgeSeconds: 60 } } }, signer });
    signer.refuseManifests = true;
    clock.advance(59_000);
    expect((await s.ask()).status).toBe(200);
    clock.advance(2_000);
    await s.h.kernel.tick();
    await expectRefused(s, 1);
  });

  it('Check 2 fails alone when the serving set, hashed again now, is not the one the profile declares', async () => {
    const policy = engineFactory().load(DEFAULT_CAP_PROFILE);
    const s = await setup({ deps: { policy } });
    expect((await s.ask()).status).toBe(200);
    // the serving set's text changed in memory under the kernel
    const text = policy.source?.() as { policies: string };
    text.policies += '\n@id("smuggled")\n@tier("2")\npermit(principal, action, resource);\n';
    await expectRefused(s, 2);
  });

  it('Check 3 fails alone when the KIA key cannot sign (quorum not held): failed_field gec_signature, SIGNING_SUSPENDED', async () => {
    const signer = switchableSigner();
    const s = await setup({ signer });
    expect((await s.ask()).status).toBe(200);
    signer.down = true;
    await expectRefused(s, 3);
    expect(s.h.kernel.state.has('SIGNING_SUSPENDED')).toBe(true);
    // while suspended the check itself fails (no signature is attempted)
    await expectRefused(s, 3);
  });

  it('Check 4 fails alone for a revoked agent, an unregistered agent and an unknown or closed session', async () => {
    const s = await setup();
    const stranger = await s.h.kernel.openSession('not-registered');
    const r = await s.ask(stranger.session_id);
    expect(r.json).toMatchObject({ failed_check: 4 });
    expect((await s.ask(crypto.randomUUID())).json).toMatchObject({ failed_check: 4 });
    await s.h.kernel.revokeAgent('a1', 'op');
    await expectRefused(s, 4);
    const other = await setup();
    await other.h.kernel.closeSession(other.session.session_id);
    await expectRefused(other, 4);
  });

  it('issued records are stored: a grant report is accepted after a restart on the same store, or by another kernel sharing it', async () => {
    const store = new MemoryStore();
    const s = await setup({ store });
    const record = JSON.parse((await s.ask()).text);
    s.h.kernel.stop();
    const again = makeHarness({ store, signer: s.h.signer, deps: { options: { acd: { profile: PROFILE } } } });
    await again.started;
    const g = await again.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' });
    expect(g.status, g.text).toBe(200);
    expect((await again.call('POST', `/v1/acd/${crypto.randomUUID()}/grant`, { decision: 'GRANTED' })).status).toBe(404);
    // a record issued since by the first kernel is found by reading what was stored since
    const later = JSON.parse((await s.ask()).text);
    expect((await again.call('POST', `/v1/acd/${later.acd_session_id}/grant`, { decision: 'GRANTED' })).status).toBe(200);
  });

  it('acd_session_id uniqueness is persisted: after a restart the kernel never hands out the id of a stored record', async () => {
    const store = new MemoryStore();
    const s = await setup({ store });
    const issued = JSON.parse((await s.ask()).text).acd_session_id as string;
    s.h.kernel.stop();
    const again = makeHarness({ store, signer: s.h.signer, deps: { options: { acd: { profile: PROFILE } } } });
    await again.started;
    const session = await again.kernel.openSession('a1');
    // the CSPRNG draws the stored id twice: both draws are discarded
    const real = crypto.randomUUID.bind(crypto);
    let drawn = 0;
    const spy = vi.spyOn(crypto, 'randomUUID').mockImplementation(() => (drawn++ < 2 ? (issued as ReturnType<typeof real>) : real()));
    try {
      const r = await again.call('GET', `/.well-known/soos-acd?aep_session_id=${session.session_id}`, undefined, { accept: 'application/soos-acd+json' });
      expect(r.status, r.text).toBe(200);
      expect(drawn).toBeGreaterThan(2);
      expect(JSON.parse(r.text).acd_session_id).not.toBe(issued);
    } finally {
      spy.mockRestore();
    }
  });

  it('content negotiation: an Accept that excludes application/soos-acd+json is 406 and HEAD is 405 (Allow: GET), nothing recorded', async () => {
    const s = await setup();
    const before = (await acdEvents(s.h)).length;
    for (const accept of ['text/html', 'application/json', 'application/soos-acd+json;q=0, */*', 'text/*, image/png']) {
      const r = await s.ask(undefined, { accept });
      expect(r.status, accept).toBe(406);
      expect(r.json).toMatchObject({ code: 'NOT_ACCEPTABLE', status: 406 });
    }
    const head = await s.h.call('HEAD', `/.well-known/soos-acd?aep_session_id=${s.session.session_id}`, undefined, { accept: 'application/soos-acd+json' });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET');
    expect((await s.h.call('POST', '/.well-known/soos-acd')).headers.get('allow')).toBe('GET');
    expect((await acdEvents(s.h)).length).toBe(before);
    // admitted: the type, its application/* or */* range, a list naming it, or no Accept at all
    for (const accept of ['application/soos-acd+json', 'application/*', '*/*', 'text/html, application/soos-acd+json;q=0.5', '']) {
      expect((await s.ask(undefined, { accept })).status, accept).toBe(200);
    }
  });

  it('refuses a request without a well-formed aep_session_id (400, nothing recorded)', async () => {
    const s = await setup();
    expect((await s.h.call('GET', '/.well-known/soos-acd')).status).toBe(400);
    expect((await s.h.call('GET', '/.well-known/soos-acd?aep_session_id=nope')).json.code).toBe('INVALID_INPUT');
    expect(await acdEvents(s.h)).toEqual([]);
  });

  it('POST /v1/acd/{id}/grant records the provider decision: ALE-058 for a grant, ALE-062 for a denial; 404 for an id never issued', async () => {
    const s = await setup();
    const record = JSON.parse((await s.ask()).text);
    const g = await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' });
    expect(g.status, g.text).toBe(200);
    expect(g.json).toMatchObject({ acd_session_id: record.acd_session_id, recorded: 'ACD_VALIDATION_PASSED' });
    const d = await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'DENIED', denial_reason: 'LAYER_INSPECTION_FAILED', failed_layer: 2, failed_field: 'prohibition_tier_summary' });
    expect(d.json.recorded).toBe('ACD_ACCESS_DENIED');
    const events = (await acdEvents(s.h)).slice(2);
    expect(events[0]).toMatchObject({ ale_type: 'ACD_VALIDATION_PASSED', ale_number: 'ALE-058', acd_session_id: record.acd_session_id, confirmation_basis: 'NOTIFIED', aep_session_id: s.session.session_id });
    expect(events[1]).toMatchObject({ ale_type: 'ACD_ACCESS_DENIED', ale_number: 'ALE-062', denial_reason: 'LAYER_INSPECTION_FAILED', failed_layer: 2 });
    expect((await s.h.call('POST', `/v1/acd/${crypto.randomUUID()}/grant`, { decision: 'GRANTED' })).status).toBe(404);
    expect((await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'MAYBE' })).status).toBe(400);
  });

  it('the ACD records are also chained into the AEP session: its signed block and package hold them, and the package verifies offline', async () => {
    const s = await setup();
    const served = await s.ask();
    const record = JSON.parse(served.text);
    await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' });
    const block = (await s.h.call('POST', `/v1/sessions/${s.session.session_id}/close`)).json;
    const pkg = await s.h.kernel.getPackage(block.block_id);
    const acd = pkg.records.map((r) => r.record).filter((r) => String(r.ale_type).startsWith('ACD_'));
    expect(acd.map((r) => r.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_RECORD_ISSUED', 'ACD_VALIDATION_PASSED']);
    for (const r of acd) expect(r).toMatchObject({ session_id: s.session.session_id, aep_session_id: s.session.session_id, acd_session_id: record.acd_session_id });
    expect(acd[1]?.acd_record_hash).toBe(Buffer.from(sha256(new TextEncoder().encode(served.text))).toString('hex'));
    expect(verifyPackage(pkg, { merkle: s.h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true, records: pkg.records.length });
    // the journal keeps its own copies; a query on the closed session is in the journal only
    expect((await acdEvents(s.h)).map((e) => e.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_RECORD_ISSUED', 'ACD_VALIDATION_PASSED']);
    expect((await s.ask()).status).toBe(403);
    expect((await s.h.kernel.getPackage(block.block_id)).records).toHaveLength(pkg.records.length);
  });
});

describe('the ACD four checks at start (Appendix A step 2)', () => {
  it('a failure at start puts the kernel in DENY_ALL: decisions DENY, and no ACD Record is issued', async () => {
    const policy = engineFactory().load(DEFAULT_CAP_PROFILE);
    (policy.source?.() as { policies: string }).policies += '\n@id("smuggled")\n@tier("2")\npermit(principal, action, resource);\n';
    const h = makeHarness({ deps: { policy, options: { acd: { profile: PROFILE } } } });
    await h.started;
    expect(h.kernel.health().state).toBe('DENY_ALL');
    expect(h.kernel.state.reason('DENY_ALL')).toMatch(/^ACD startup check 2 failed/);
    expect((await journal(h)).find((r) => r.event_type === 'ACD_STARTUP_CHECK_FAILED')).toMatchObject({ failed_check: 2 });
    const s = await h.kernel.openSession('a1');
    expect((await h.kernel.authorize(s.session_id, agentRead('a1'))).decision).toBe('DENY');
  });

  it('a restart whose kernel key was revoked meanwhile fails Check 3 at start (the registry read once for the checks)', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const first = makeHarness({ store, signer });
    await first.started;
    expect(first.kernel.health().state).toBe('NORMAL');
    await first.kernel.revoke({ kind: 'KIA_KEY', id: first.kernel.kernelId }, 'operator-1');
    const next = makeHarness({ store, signer, deps: { tokens: first.tokens } });
    await next.started;
    expect(next.kernel.health().state).toBe('DENY_ALL');
    expect(next.kernel.state.reason('DENY_ALL')).toMatch(/^ACD startup check 3 failed: the kernel key .* is revoked/);
  });

  it('a kernel whose checks pass starts NORMAL', async () => {
    const h = makeHarness();
    await h.started;
    expect(h.kernel.health().state).toBe('NORMAL');
  });
});

describe('resource provider authentication (KEE_AUTH=agents)', () => {
  async function agentsSetup() {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents', acd: { profile: PROFILE } } } });
    await h.started;
    const op = await ops.bearer('operator');
    const agentKey = await agentKeyPair();
    const providerKey = await agentKeyPair();
    expect((await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [agentKey.jwk] }, op)).status).toBe(201);
    expect((await h.call('POST', '/v1/agents', { agent_id: 'files-provider', roles: ['resource_provider'], public_keys: [providerKey.jwk] }, op)).status).toBe(201);
    expect((await h.call('POST', '/v1/agents', { agent_id: 'not-a-provider', public_keys: [providerKey.jwk] }, op)).status).toBe(201);
    const opened = await h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(agentKey, 'a1', h.kernel.issuer) });
    expect(opened.status, opened.text).toBe(201);
    const sid = opened.json.session_id as string;
    const bearer = async (id = 'files-provider') => ({ authorization: `Bearer ${await assertion(providerKey, id, h.kernel.issuer)}` });
    const ask = async (headers: Record<string, string>) => h.call('GET', `/.well-known/soos-acd?aep_session_id=${sid}`, undefined, headers);
    return { h, sid, bearer, ask, token: opened.json.session_token as string };
  }

  it('acd_required (RGP declaration in the provider\'s registry entry): a request for its audience is DENY (ACD_REQUIRED) until the provider validated an ACD Record in this session and reported GRANTED', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents', acd: { profile: PROFILE } } } });
    await h.started;
    const op = await ops.bearer('operator');
    const agentKey = await agentKeyPair();
    const providerKey = await agentKeyPair();
    const AUD = 'https://data-api.example.go.jp';
    expect((await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [agentKey.jwk] }, op)).status).toBe(201);
    const gw = await h.call('POST', '/v1/agents', { agent_id: 'gw', roles: ['resource_provider'], attributes: { acd_required: true, resource_audiences: [AUD] }, public_keys: [providerKey.jwk] }, op);
    expect(gw.status, gw.text).toBe(201);
    const opened = (await h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(agentKey, 'a1', h.kernel.issuer) })).json;
    // Appendix A step 4: the session's authority and intake, in its SESSION_OPEN
    const first = JSON.parse((await h.store.listRecords(opened.session_id))[0]!.canonical);
    const agentEntry = (await h.call('GET', '/v1/agents/a1', undefined, op)).json;
    expect(first).toMatchObject({
      ale_type: 'SESSION_OPEN',
      session_authority: { opened_by: 'a1', authentication: 'CLIENT_ASSERTION_DPOP', registry_entry_hash: agentEntry.registry_entry_hash, registered_by: agentEntry.registered_by, roles: [], mandate_jti: first.session_token_jti, mandate_scope_type: 'FULL', delegation_chain_depth: 0 },
      intake_checks: { agent_authenticated: 'PASS', agent_registered: 'PASS', agent_status: 'PASS', agent_not_revoked: 'PASS', kernel_state: 'PASS', cap_profile: first.cap_profile_id },
      intake_result: 'PASS',
    });
    expect(typeof first.session_token_jti).toBe('string');
    const path = `/v1/sessions/${opened.session_id}/authorize`;
    const ask = async (audience?: string) => (await h.call('POST', path, { ...agentRead('a1'), ...(audience ? { audience } : {}) }, await dpopHeaders(agentKey, 'POST', `http://kee.test${path}`, opened.session_token))).json;
    const before = await ask(AUD);
    expect(before.decision).toBe('DENY');
    expect(before.reasons[0]).toMatch(/^ACD_REQUIRED: resource provider `gw` declares acd_required for audience "https:\/\/data-api\.example\.go\.jp"/);
    // another audience, or none, is not gated
    expect((await ask('https://other.example')).decision).toBe('PERMIT');
    expect((await ask()).decision).toBe('PERMIT');
    const provider = { authorization: `Bearer ${await assertion(providerKey, 'gw', h.kernel.issuer)}` };
    const record = JSON.parse((await h.call('GET', `/.well-known/soos-acd?aep_session_id=${opened.session_id}`, undefined, provider)).text);
    // issued, not yet granted: still DENY
    expect((await ask(AUD)).decision).toBe('DENY');
    const granted = await h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' }, { authorization: `Bearer ${await assertion(providerKey, 'gw', h.kernel.issuer)}` });
    expect(granted.status, granted.text).toBe(200);
    const after = await ask(AUD);
    expect(after.decision).toBe('PERMIT');
    expect(typeof after.credential).toBe('string');
    // the provider withdraws (ALE-062): DENY again; the DENY record says why
    await h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'DENIED', denial_reason: 'LAYER_INSPECTION_FAILED' }, { authorization: `Bearer ${await assertion(providerKey, 'gw', h.kernel.issuer)}` });
    const withdrawn = await ask(AUD);
    expect(withdrawn.decision).toBe('DENY');
    const rec = (await h.store.listRecords(opened.session_id)).map((x) => JSON.parse(x.canonical)).find((x) => x.ale_seq === withdrawn.ale_seq);
    expect(rec).toMatchObject({ ale_type: 'CEDAR_DENY' });
    expect(String(rec.reasons[0])).toMatch(/^ACD_REQUIRED/);
  });

  it('a registered provider gets the record (mjwt_jti = the session token jti); no assertion is 401, a non-provider 403, a replayed assertion 401; refusals record nothing', async () => {
    const s = await agentsSetup();
    expect((await s.ask({})).status).toBe(401);
    expect((await s.ask(await s.bearer('not-a-provider'))).status).toBe(403);
    const headers = await s.bearer();
    const r = await s.ask(headers);
    expect(r.status, r.text).toBe(200);
    const record = JSON.parse(r.text);
    const jti = JSON.parse(Buffer.from(s.token.split('.')[1] as string, 'base64url').toString()).jti;
    expect(record.mjwt_jti).toBe(jti);
    expect((await s.ask(headers)).status).toBe(401);
    const events = await acdEvents(s.h);
    expect(events.map((e) => e.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_RECORD_ISSUED']);
    expect(events[0]).toMatchObject({ resource_provider_id: 'files-provider' });
    // the grant report: only the provider the record was issued to
    const g = await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' }, await s.bearer());
    expect(g.status, g.text).toBe(200);
    expect((await s.h.call('POST', `/v1/acd/${record.acd_session_id}/grant`, { decision: 'GRANTED' })).status).toBe(401);
  });

  it('Check 4 fails when the session mandate (session token jti) is revoked', async () => {
    const s = await agentsSetup();
    const jti = JSON.parse(Buffer.from(s.token.split('.')[1] as string, 'base64url').toString()).jti as string;
    // the revocation registry as the P8 routes fill it (kind MANDATE_JTI)
    await (s.h.kernel as unknown as { s: { revocations: { revoke: (j: string, exp: number) => Promise<unknown> } } }).s.revocations.revoke(jti, Math.floor(Date.now() / 1000) + 3600);
    const r = await s.ask(await s.bearer());
    expect(r.status).toBe(403);
    expect(r.json.failed_check).toBe(4);
  });
});
