import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { CedarPolicyEngine } from '../src/adapters/cedar/policy-engine.ts';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import { Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { JoseTokenSigner } from '../src/adapters/jose/token-signer.ts';
import type { GecManifest } from '../src/kernel/manifest/manifest.ts';
import type { PolicyEngine } from '../src/ports/policy.ts';
import type { Signer } from '../src/ports/signer.ts';
import { loadCedar } from './support/cedar.ts';
import { agentRead, classifyGold, makeHarness, type Harness } from './support/harness.ts';
import { wasmMerkle } from './support/wasm.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** The hash-lock, recomputed independently: SHA-256 over the JCS (npm `canonicalize`) of the manifest without its signature. */
const lockOf = (m: GecManifest) => {
  const { manifest_signature: _s, ...body } = m;
  return sha256(canonicalize(body) as string);
};
const ed25519Verify = (publicKeyHex: string, message: string, signatureHex: string) => {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyHex, 'hex').toString('base64url') }, format: 'jwk' });
  return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signatureHex, 'hex'));
};
const canonicalBody = (m: GecManifest) => {
  const { manifest_signature: _s, ...body } = m;
  return canonicalize(body) as string;
};

const OTHER_PROFILE = {
  capProfileId: 'test-epoch-2',
  policies: `@id("read-only") permit (principal, action == Action::"read", resource);`,
};

/** A policy engine whose set can be swapped (what the policy pipeline does, in miniature). */
function swappable(first: PolicyEngine): PolicyEngine & { swap(next: PolicyEngine): void } {
  let current = first;
  return { evaluate: (r) => current.evaluate(r), active: () => current.active(), swap: (next) => (current = next) };
}

async function journalRecords(h: Harness): Promise<Record<string, unknown>[]> {
  const journal = h.store.allSessions().find((x) => x.agent_id === 'kee-kernel');
  return journal ? h.store.rawRecords(journal.session_id).map((r) => JSON.parse(r.canonical)) : [];
}

async function expectDenyAll(h: Harness, sessionId: string, blockId: string): Promise<void> {
  const r = await h.call('POST', `/v1/sessions/${sessionId}/authorize`, classifyGold(true));
  expect(r.status).toBe(200);
  expect(r.json.decision).toBe('DENY');
  expect(r.json.reasons.join(' ')).toContain('MANIFEST_INTEGRITY_FAILURE');
  const close = await h.call('POST', `/v1/sessions/${sessionId}/close`);
  expect(close.status).toBe(503);
  expect(close.json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
  expect((await h.call('GET', `/v1/audit/blocks/${blockId}`)).status).toBe(404);
  expect((await h.call('GET', '/v1/audit/checkpoint')).json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
  const health = await h.call('GET', '/healthz');
  expect(health.json.state).toBe('MANIFEST_INTEGRITY_FAILURE');
  const served = await h.call('GET', '/v1/manifest');
  expect(served.status).toBe(503);
  expect(served.headers.get('content-type')).toBe('application/problem+json');
  expect(served.json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
  const anomalies = (await journalRecords(h)).filter((r) => r.event_type === 'MANIFEST_INTEGRITY_FAILURE');
  expect(anomalies).toHaveLength(1);
  expect(anomalies[0]).toMatchObject({ ale_type: 'KERNEL_AUDIT_ANOMALY', severity: 'CRITICAL' });
}

describe('GEC Manifest', () => {
  it('is served hash-locked and signed: the lock and the Ed25519 signature verify independently', async () => {
    const h = makeHarness();
    const r = await h.call('GET', '/v1/manifest');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/soos-gec-manifest+json; charset=utf-8');
    const m = r.json as GecManifest;
    expect(r.text).toBe(canonicalize(m)); // served in JCS form
    const key = (await h.call('GET', '/v1/kernel/public-key')).json;
    expect(m.signing_config).toEqual({ scheme: 'ed25519', algorithm: 'Ed25519', public_key: key.public_key });
    expect(m.kernel_keypair_fingerprint).toBe(key.key_id);
    expect(m.manifest_signature.key_id).toBe(key.key_id);
    expect(ed25519Verify(key.public_key, canonicalBody(m), m.manifest_signature.signature)).toBe(true);
    expect(ed25519Verify(key.public_key, canonicalBody({ ...m, epoch: 2 }), m.manifest_signature.signature)).toBe(false);
    expect(m).toMatchObject({ manifest_version: '1.0', epoch: 1, previous_manifest_hash: null, gec_id: key.key_id, conformance_level: 'KEE1-L1', kernel_version: '0.1.0' });
    expect(m.manifest_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(m.attestation_timestamp).toBe(Math.floor(Date.parse(m.issued_at) / 1000));
    // stored before it is served, as the same text
    const stored = h.store.rawDocument('gec_manifest', 1);
    expect(stored).toMatchObject({ docId: m.manifest_id, body: r.text });
    // the kernel's current() agrees, and its lock is the independently computed one
    expect(lockOf(await h.kernel.manifests.current())).toBe(lockOf(m));
  });

  it('declares the signing config, the live policy set and the loaded WASM modules', async () => {
    const h = makeHarness();
    const m = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m.deployment_constraints).toEqual(['ed25519:single']);
    expect(m.hardware_backed).toBe(false);
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(m.cedar_policy_hash).toBe(d.json.cedar_policy_hash);
    expect(m.cedar_policy_set_hashes).toEqual([d.json.cedar_policy_hash]);
    expect(m.loaded_policy_ids).toEqual(CedarPolicyEngine.load(loadCedar(), DEFAULT_CAP_PROFILE, wasmMerkle()).active().policyIds);
    expect(m.loaded_policy_ids).toEqual(expect.arrayContaining(['kee-default-read', 'tier0b-no-auto-gold']));
    expect(m.cap_profile_id).toBe(DEFAULT_CAP_PROFILE.capProfileId);
    expect(m.cap_profile_version).toBe(0);
    expect(m).not.toHaveProperty('cap_profile_hash');
    expect(m.publisher_keys).toEqual([]);
    expect(m.wasm_modules).toEqual({
      'kee_wasm_bg.wasm': sha256(readFileSync('wasm/kee_wasm_bg.wasm')),
      'cedar_wasm_bg.wasm': sha256(readFileSync('node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm')),
    });
    expect(m.capability_flags).toMatchObject({ cap: true, gar: true });
  });

  it('declares a FROST signer as frost:t-of-n and its group key; software keys are KEE1-L1 only', async () => {
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    const frostLike: Signer = {
      algorithm: 'Ed25519',
      publicKey: () => key.publicKey(),
      describe: () => ({ scheme: 'frost', deployment_constraint: 'frost:t-of-n:2-3', hardware_backed: false }),
      sign: (msg) => key.sign(msg),
    };
    const h = makeHarness({ signer: frostLike });
    const m = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m.deployment_constraints).toEqual(['frost:t-of-n:2-3']);
    expect(m.signing_config).toMatchObject({ scheme: 'frost', public_key: Buffer.from(key.publicKey()).toString('hex') });
    expect(m.hardware_backed).toBe(false);

    const l2 = makeHarness({ deps: { manifest: { kernelVersion: '0.1.0', wasmModules: {}, conformanceLevel: 'KEE1-L2' } } });
    await expect(l2.started).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const r = await l2.call('POST', '/v1/sessions', { agent_id: 'a' });
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('KERNEL_NOT_STARTED');
  });

  it('declares configured publisher keys by key id', async () => {
    const pub = Buffer.from(new Ed25519Signer(Ed25519Signer.generateSeed()).publicKey()).toString('hex');
    const h = makeHarness({ deps: { manifest: { kernelVersion: '0.1.0', wasmModules: {}, publisherKeys: [pub] } } });
    const m = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m.publisher_keys).toEqual([{ key_id: sha256(Buffer.from(pub, 'hex')), public_key: pub }]);
  });
});

describe('a kernel that has not started', () => {
  it('opens no session, decides nothing and serves no manifest (503 KERNEL_NOT_STARTED) until start()', async () => {
    const h = makeHarness({ start: false });
    for (const [method, path] of [['POST', '/v1/sessions'], ['GET', '/v1/manifest'], ['GET', '/v1/audit/checkpoint']] as const) {
      const r = await h.call(method, path, method === 'POST' ? { agent_id: 'a' } : undefined);
      expect(r.status, path).toBe(503);
      expect(r.json.code, path).toBe('KERNEL_NOT_STARTED');
    }
    await expect(h.kernel.authorize('00000000-0000-4000-8000-000000000000', agentRead())).rejects.toMatchObject({ code: 'KERNEL_NOT_STARTED' });
    expect(h.store.allSessions()).toEqual([]);
    await h.kernel.start();
    expect((await h.call('POST', '/v1/sessions', { agent_id: 'a' })).status).toBe(201);
    expect((await h.call('GET', '/v1/manifest')).status).toBe(200);
  });
});

describe('tamper of the manifest in memory -> deny-all', () => {
  it('a changed field is caught by the next full re-verification: deny-all, no signatures, journaled, on /healthz', async () => {
    const h = makeHarness({ deps: { options: { manifestRecheckMs: 0 } } });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.decision).toBe('PERMIT');
    const live = await h.kernel.manifests.current();
    live.hardware_backed = true;
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('with the default re-check interval, a manifest read catches it at once, and every later decision is DENY', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const live = await h.kernel.manifests.current();
    live.loaded_policy_ids.push('evil-permit-all');
    expect((await h.call('GET', '/v1/manifest')).json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('a block close re-verifies and refuses to sign', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const live = await h.kernel.manifests.current();
    live.manifest_signature.signature = '00'.repeat(64);
    const close = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(close.status).toBe(503);
    expect(close.json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
    expect(close.json.detail).toContain('manifest_signature');
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('a changed cedar_policy_hash is caught by the very next decision (the per-decision check)', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', `/v1/sessions`, { agent_id: 'a' });
    const live = await h.kernel.manifests.current();
    live.cedar_policy_hash = 'ab'.repeat(32);
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(r.json.decision).toBe('DENY');
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('a live policy set that is not the declared one is caught by the next decision', async () => {
    const policy = swappable(CedarPolicyEngine.load(loadCedar(), DEFAULT_CAP_PROFILE, wasmMerkle()));
    const h = makeHarness({ deps: { policy } });
    const { json: s } = await h.call('POST', `/v1/sessions`, { agent_id: 'a' });
    policy.swap(CedarPolicyEngine.load(loadCedar(), OTHER_PROFILE, wasmMerkle())); // a swap without a manifest epoch
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(r.json.decision).toBe('DENY');
    expect(r.json.reasons.join(' ')).toContain('MANIFEST_INTEGRITY_FAILURE');
    await expectDenyAll(h, s.session_id, s.block_id);
    expect((await h.call('GET', '/healthz')).json.conditions[0].reason).toContain('live policy set');
  });
});

describe('tamper of the manifest in the store', () => {
  it('is detected on the next read: MANIFEST_INTEGRITY_FAILURE, deny-all', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', `/v1/sessions`, { agent_id: 'a' });
    const doc = h.store.rawDocument('gec_manifest', 1)!;
    doc.body = doc.body.replace('"hardware_backed":false', '"hardware_backed":true');
    const r = await h.call('GET', '/v1/manifest');
    expect(r.status).toBe(503);
    expect(r.json.detail).toContain('stored manifest of epoch 1 differs');
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('is detected by a block close', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', `/v1/sessions`, { agent_id: 'a' });
    h.store.rawDocument('gec_manifest', 1)!.docId = crypto.randomUUID();
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json.code).toBe('MANIFEST_INTEGRITY_FAILURE');
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  for (const [name, tamper] of [
    ['a field changed (signature no longer verifies)', (b: string) => b.replace('"conformance_level":"KEE1-L1"', '"conformance_level":"KEE1-L3"')],
    ['not canonical', (b: string) => b.replace('{', '{ ')],
    ['not JSON', (b: string) => b.slice(0, -1)],
    ['signature removed', (b: string) => canonicalize({ ...JSON.parse(b), manifest_signature: undefined }) as string],
  ] as const) {
    it(`is detected at restart (${name}): the kernel starts in MANIFEST_INTEGRITY_FAILURE and issues nothing`, async () => {
      const store = new MemoryStore();
      await makeHarness({ store }).started;
      const doc = store.rawDocument('gec_manifest', 1)!;
      doc.body = tamper(doc.body);
      const h = makeHarness({ store });
      await h.started;
      expect(store.rawDocument('gec_manifest', 2)).toBeUndefined();
      const health = (await h.call('GET', '/healthz')).json;
      expect(health.state).toBe('MANIFEST_INTEGRITY_FAILURE');
      expect(health.conditions[0].reason).toContain('stored manifest of epoch 1 failed verification at start');
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
      await expectDenyAll(h, s.session_id, s.block_id);
    });
  }
});

describe('manifest epochs', () => {
  it('restart issues the next epoch, chained to the verified previous one', async () => {
    const store = new MemoryStore();
    const first = makeHarness({ store });
    const m1 = (await first.call('GET', '/v1/manifest')).json as GecManifest;
    const second = makeHarness({ store }); // a new kernel key: a new deployment, still verified against the key it declared
    const m2 = (await second.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m2.epoch).toBe(2);
    expect(m2.manifest_id).not.toBe(m1.manifest_id);
    expect(m2.previous_manifest_hash).toBe(lockOf(m1));
    expect(store.rawDocument('gec_manifest', 2)?.body).toBe(canonicalize(m2));
    const third = makeHarness({ store, signer: second.signer });
    expect(((await third.call('GET', '/v1/manifest')).json as GecManifest).epoch).toBe(3);
  });

  it('a start over unchanged inputs reuses the latest epoch; a changed input (policy, kernel version, age) issues the next', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const tokens = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    let now = Date.parse('2026-12-06T08:00:00.000Z');
    const clock = { nowIso: () => new Date(now).toISOString() };
    const start = async (more: Parameters<typeof makeHarness>[0] = {}) => {
      const h = makeHarness({ store, signer, ...more, deps: { tokens, clock, ...more.deps } });
      return { h, m: (await h.call('GET', '/v1/manifest')).json as GecManifest };
    };
    const stored = () => [1, 2, 3, 4, 5].filter((e) => store.rawDocument('gec_manifest', e) !== undefined);
    const first = await start();
    now += 3_600_000;
    const again = await start(); // same key, keys, policy, build: the same declaration
    expect(again.m).toEqual(first.m);
    expect(stored()).toEqual([1]);
    const s = (await again.h.call('POST', '/v1/sessions', { agent_id: 'a' })).json;
    expect((await again.h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.decision).toBe('PERMIT');
    expect((await again.h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
    // a changed policy set
    const other = await start({ profile: OTHER_PROFILE });
    expect(other.m).toMatchObject({ epoch: 2, previous_manifest_hash: lockOf(first.m), cap_profile_id: 'test-epoch-2' });
    // a changed kernel version
    const upgraded = await start({ profile: OTHER_PROFILE, deps: { manifest: { kernelVersion: '9.9.9', wasmModules: first.m.wasm_modules } } });
    expect(upgraded.m).toMatchObject({ epoch: 3, kernel_version: '9.9.9' });
    expect((await start({ profile: OTHER_PROFILE, deps: { manifest: { kernelVersion: '9.9.9', wasmModules: first.m.wasm_modules } } })).m.epoch).toBe(3);
    // half the staleness window passed: the next epoch, not a manifest the ACD Check 1 would soon refuse
    now += 12 * 3_600_000;
    const aged = await start({ profile: OTHER_PROFILE, deps: { manifest: { kernelVersion: '9.9.9', wasmModules: first.m.wasm_modules } } });
    expect(aged.m.epoch).toBe(4);
    expect(stored()).toEqual([1, 2, 3, 4]);
  });

  it('a revoked latest epoch is not reused: the start issues the next one and passes the ACD checks', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const tokens = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const first = makeHarness({ store, signer, deps: { tokens } });
    const m1 = (await first.call('GET', '/v1/manifest')).json as GecManifest;
    await first.kernel.revoke({ kind: 'GEC_MANIFEST', id: m1.manifest_id }, 'operator-1');
    const next = makeHarness({ store, signer, deps: { tokens } });
    const m2 = (await next.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m2).toMatchObject({ epoch: 2, previous_manifest_hash: lockOf(m1) });
    expect(next.kernel.health().state).toBe('NORMAL');
  });

  it('a tampered latest epoch is refused at a start that would reuse it (MANIFEST_INTEGRITY_FAILURE, nothing issued)', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const tokens = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const first = makeHarness({ store, signer, deps: { tokens } });
    await first.started;
    const doc = store.rawDocument('gec_manifest', 1)!;
    doc.body = doc.body.replace('"hardware_backed":false', '"hardware_backed":true');
    const h = makeHarness({ store, signer, deps: { tokens } });
    await h.started;
    const health = (await h.call('GET', '/healthz')).json;
    expect(health.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    expect(health.conditions[0].reason).toContain('stored manifest of epoch 1 failed verification at start');
    expect((await h.call('GET', '/v1/manifest')).status).toBe(503);
    expect(store.rawDocument('gec_manifest', 2)).toBeUndefined();
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json;
    await expectDenyAll(h, s.session_id, s.block_id);
  });

  it('prepareEpoch + commit: a new manifest (id, epoch, policy set) stored before it is served, swapped with the policy', async () => {
    const h = makeHarness();
    const m1 = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    const nextEngine = CedarPolicyEngine.load(loadCedar(), OTHER_PROFILE, wasmMerkle());
    // a hook after the manifest's: the next epoch is prepared and stored, not yet served
    let seenDuringPrepare: { stored: boolean; servedId: string } | null = null;
    h.kernel.onPolicyEpoch(async () => {
      seenDuringPrepare = { stored: h.store.rawDocument('gec_manifest', 2) !== undefined, servedId: ((await h.call('GET', '/v1/manifest')).json as GecManifest).manifest_id };
      return () => undefined;
    });
    // the policy pipeline: prepare every epoch hook, then swap and commit in one synchronous step
    await h.kernel.activatePolicy({ capProfileId: OTHER_PROFILE.capProfileId, version: 7, policies: OTHER_PROFILE.policies, capProfileHash: 'cd'.repeat(32) });
    expect(seenDuringPrepare).toEqual({ stored: true, servedId: m1.manifest_id });
    const served = await h.call('GET', '/v1/manifest');
    expect(served.status).toBe(200);
    const m2 = served.json as GecManifest;
    expect(m2).toMatchObject({ epoch: 2, previous_manifest_hash: lockOf(m1), cap_profile_id: 'test-epoch-2', cap_profile_version: 7, cap_profile_hash: 'cd'.repeat(32), loaded_policy_ids: ['read-only'] });
    expect(m2.manifest_id).not.toBe(m1.manifest_id);
    expect(m2.cedar_policy_hash).toBe(nextEngine.active().cedarPolicyHash);
    expect(h.store.rawDocument('gec_manifest', 2)?.body).toBe(served.text);
    expect(ed25519Verify(m2.signing_config.public_key, canonicalBody(m2), m2.manifest_signature.signature)).toBe(true);
    // decisions go on under the new set, in NORMAL
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(d.json).toMatchObject({ decision: 'PERMIT', policy_ids: ['read-only'], cedar_policy_hash: m2.cedar_policy_hash });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
  });

  it('a failing prepare leaves the old manifest current; an uncommitted epoch is skipped, not reused', async () => {
    let signing = true;
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    const signer: Signer = {
      algorithm: 'Ed25519',
      publicKey: () => key.publicKey(),
      describe: () => key.describe(),
      sign: async (msg) => {
        if (!signing) throw new Error('quorum lost');
        return key.sign(msg);
      },
    };
    const store = new MemoryStore();
    const h = makeHarness({ store, signer });
    const m1 = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    const next = { ...CedarPolicyEngine.load(loadCedar(), OTHER_PROFILE, wasmMerkle()).active(), version: 1 };
    signing = false;
    await expect(h.kernel.manifests.prepareEpoch(next)).rejects.toThrow();
    signing = true;
    store.failWith = new Error('disk I/O error');
    await expect(h.kernel.manifests.prepareEpoch(next)).rejects.toMatchObject({ code: 'GAR_UNAVAILABLE' });
    store.failWith = null as never;
    expect(store.rawDocument('gec_manifest', 2)).toBeUndefined();
    const still = await h.call('GET', '/v1/manifest');
    expect(still.status).toBe(200);
    expect((still.json as GecManifest).manifest_id).toBe(m1.manifest_id);
    // prepared but never committed (the activation was abandoned): the next prepare takes epoch 3
    await h.kernel.manifests.prepareEpoch(next);
    const commit = await h.kernel.manifests.prepareEpoch(next);
    expect(commit).toBeTypeOf('function');
    expect(store.rawDocument('gec_manifest', 3)).toBeDefined();
    expect(((await h.call('GET', '/v1/manifest')).json as GecManifest).epoch).toBe(1);
  });

  it('nothing is prepared (signed) while the kernel is in MANIFEST_INTEGRITY_FAILURE', async () => {
    const h = makeHarness();
    await h.started;
    h.kernel.state.enter('MANIFEST_INTEGRITY_FAILURE', 'test');
    const next = { ...CedarPolicyEngine.load(loadCedar(), OTHER_PROFILE, wasmMerkle()).active(), version: 1 };
    await expect(h.kernel.manifests.prepareEpoch(next)).rejects.toMatchObject({ code: 'MANIFEST_INTEGRITY_FAILURE' });
    expect(h.store.rawDocument('gec_manifest', 2)).toBeUndefined();
  });
});
