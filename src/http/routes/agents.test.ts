import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { deriveAgentXpid } from '../../adapters/uuid/xpid.ts';
import { canonicalJson } from '../../kernel/jcs.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { agentKey, journalRecords as kernelRecords, makeOperators } from '../../../test/support/operators.ts';

async function setup() {
  const ops = await makeOperators();
  // (verifier is returned too, for a second kernel on the same store)
  const h = makeHarness({ deps: { operatorTokens: ops.verifier } });
  await h.started;
  return { h, ...ops };
}

describe('the agent registry', () => {
  it('registers an agent: 201 with its kernel-derived XPID over the JCS hash of its entry, ACTIVE', async () => {
    const { h, bearer } = await setup();
    const key = await agentKey();
    const body = { agent_id: 'dispatcher-7', display_name: 'Dispatcher 7', roles: ['dispatch', 'read', 'dispatch'], attributes: { region: 'kanto' }, parents: [{ type: 'Team', id: 'ops' }], public_keys: [key] };
    const a = await h.call('POST', '/v1/agents', body, await bearer('operator'));
    expect(a.status, a.text).toBe(201);
    expect(Object.keys(a.json).sort()).toEqual(['agent_id', 'registry_entry_hash', 'status', 'xpid']);
    expect(a.json).toMatchObject({ agent_id: 'dispatcher-7', status: 'ACTIVE' });
    expect(a.headers.get('location')).toBe('/v1/agents/dispatcher-7');

    const got = await h.call('GET', '/v1/agents/dispatcher-7', undefined, await bearer('auditor'));
    expect(got.status).toBe(200);
    const { entry } = got.json;
    // anyone can recompute the hash and the XPID from the answer and the kernel's key id
    expect(bytesToHex(sha256(utf8ToBytes(canonicalJson(entry))))).toBe(a.json.registry_entry_hash);
    expect(deriveAgentXpid(h.kernel.kernelId, a.json.registry_entry_hash, '1.1')).toBe(a.json.xpid);
    expect(entry).toMatchObject({ registry_entry_version: 1, agent_id: 'dispatcher-7', display_name: 'Dispatcher 7', roles: ['dispatch', 'read'], attributes: { region: 'kanto' }, parents: [{ type: 'Team', id: 'ops' }] });
    expect(entry.public_keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: key.x, kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }]);
    expect(got.json).toMatchObject({ xpid: a.json.xpid, xpid_derivation_version: '1.1', status: 'ACTIVE', registered_by: 'op-operator' });

    const list = await h.call('GET', '/v1/agents', undefined, await bearer('operator'));
    expect(list.json.agents.map((x: { agent_id: string }) => x.agent_id)).toEqual(['dispatcher-7']);
  });

  it('GET /v1/agents pages by agent_id: limit (default 100, at most 1000), after, next_after while more follow', async () => {
    const { h, bearer } = await setup();
    const op = await bearer('operator');
    const ids = ['b', 'a', 'c', 'e', 'd'];
    for (const id of ids) expect((await h.call('POST', '/v1/agents', { agent_id: id, public_keys: [await agentKey()] }, op)).status).toBe(201);
    const get = async (query: string) => h.call('GET', `/v1/agents${query}`, undefined, op);
    const names = (r: { json: { agents: { agent_id: string }[] } }) => r.json.agents.map((x) => x.agent_id);

    const all = await get('');
    expect(names(all)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.json).not.toHaveProperty('next_after');
    const p1 = await get('?limit=2');
    expect([names(p1), p1.json.next_after]).toEqual([['a', 'b'], 'b']);
    const p2 = await get(`?limit=2&after=${p1.json.next_after}`);
    expect([names(p2), p2.json.next_after]).toEqual([['c', 'd'], 'd']);
    const p3 = await get(`?limit=2&after=${p2.json.next_after}`);
    expect(names(p3)).toEqual(['e']);
    expect(p3.json).not.toHaveProperty('next_after');
    // `after` need not be a registered id: the page starts after where it would sort
    expect(names(await get('?after=bb'))).toEqual(['c', 'd', 'e']);
    expect(names(await get('?after=z'))).toEqual([]);
    expect(names(await get('?limit=5'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const bad of ['?limit=0', '?limit=1001', '?limit=x', '?limit=1.5', '?after=', '?limit=1&limit=2']) {
      const r = await get(bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.code, bad).toBe('INVALID_INPUT');
    }
    expect(names(await get('?limit=1000'))).toHaveLength(5);
  });

  it('GET /v1/agents: 100 agents a page by default', async () => {
    const { h, bearer } = await setup();
    const op = await bearer('operator');
    const key = await agentKey();
    for (let i = 0; i < 101; i++) expect((await h.call('POST', '/v1/agents', { agent_id: `agent-${String(i).padStart(3, '0')}`, public_keys: [key] }, op)).status).toBe(201);
    const first = await h.call('GET', '/v1/agents', undefined, op);
    expect(first.json.agents).toHaveLength(100);
    expect(first.json.next_after).toBe('agent-099');
    expect((await h.call('GET', '/v1/agents?after=agent-099', undefined, op)).json.agents.map((x: { agent_id: string }) => x.agent_id)).toEqual(['agent-100']);
  });

  it('records XPID_DERIVED and AGENT_REGISTERED, then AGENT_STATUS_CHANGED and AGENT_REVOKED, in the kernel journal', async () => {
    const { h, bearer } = await setup();
    const op = await bearer('operator');
    const { json: reg } = await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [await agentKey()] }, op);
    expect((await h.call('PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }, op)).json.status).toBe('SUSPENDED');
    // the same status again changes nothing and records nothing
    expect((await h.call('PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }, op)).json.status).toBe('SUSPENDED');
    expect((await h.call('PATCH', '/v1/agents/a1', { status: 'ACTIVE' }, op)).json.status).toBe('ACTIVE');
    expect((await h.call('POST', '/v1/agents/a1/revoke', undefined, op)).json.status).toBe('REVOKED');
    expect((await h.call('POST', '/v1/agents/a1/revoke', undefined, op)).status).toBe(200);

    const records = (await kernelRecords(h.store)).filter((r) => r.ale_type.startsWith('AGENT_') || r.ale_type === 'XPID_DERIVED');
    expect(records.map((r) => r.ale_type)).toEqual(['XPID_DERIVED', 'AGENT_REGISTERED', 'AGENT_STATUS_CHANGED', 'AGENT_STATUS_CHANGED', 'AGENT_REVOKED']);
    const derived = records[0]!;
    expect(derived).toMatchObject({ agent_party_id: 'a1', kernel_keypair_fingerprint: h.kernel.kernelId, xpid: reg.xpid, derivation_version: '1.1', registry_entry_hash: reg.registry_entry_hash });
    expect(typeof derived.session_id).toBe('string');
    expect(typeof derived.derived_at).toBe('string');
    expect(records[1]).toMatchObject({ agent_id: 'a1', xpid: reg.xpid, registered_by: 'op-operator' });
    expect(records[2]).toMatchObject({ from: 'ACTIVE', to: 'SUSPENDED', changed_by: 'op-operator' });
    expect(records[4]).toMatchObject({ from: 'ACTIVE', revoked_by: 'op-operator' });
  });

  it('revocation is final: PATCH afterwards is 409 CONFLICT; a registered agent_id cannot be registered again', async () => {
    const { h, bearer } = await setup();
    const op = await bearer('operator');
    await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [await agentKey()] }, op);
    const again = await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [await agentKey()] }, op);
    expect(again.status).toBe(409);
    await h.call('POST', '/v1/agents/a1/revoke', undefined, op);
    for (const status of ['ACTIVE', 'SUSPENDED']) {
      const r = await h.call('PATCH', '/v1/agents/a1', { status }, op);
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('CONFLICT');
    }
    expect((await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [await agentKey()] }, op)).status).toBe(409);
    expect((await h.call('GET', '/v1/agents/nobody', undefined, op)).status).toBe(404);
    expect((await h.call('PATCH', '/v1/agents/nobody', { status: 'ACTIVE' }, op)).status).toBe(404);
    expect((await h.call('POST', '/v1/agents/nobody/revoke', undefined, op)).status).toBe(404);
  });

  it('roles: auditors read, only operators change; no token is 401; approvers nothing', async () => {
    const { h, bearer } = await setup();
    const key = await agentKey();
    const body = { agent_id: 'a1', public_keys: [key] };
    expect((await h.call('POST', '/v1/agents', body)).status).toBe(401);
    expect((await h.call('POST', '/v1/agents', body, await bearer('auditor'))).status).toBe(403);
    expect((await h.call('POST', '/v1/agents', body, await bearer('approver'))).status).toBe(403);
    expect((await h.call('POST', '/v1/agents', body, await bearer('operator'))).status).toBe(201);
    for (const [method, path, b] of [['PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }], ['POST', '/v1/agents/a1/revoke', undefined]] as const) {
      expect((await h.call(method, path, b, await bearer('auditor'))).status).toBe(403);
      expect((await h.call(method, path, b)).status).toBe(401);
    }
    for (const path of ['/v1/agents', '/v1/agents/a1']) {
      expect((await h.call('GET', path, undefined, await bearer('auditor'))).status).toBe(200);
      expect((await h.call('GET', path, undefined, await bearer('approver'))).status).toBe(403);
      const none = await h.call('GET', path);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="kee"');
    }
    // nothing changed by the refused calls
    expect((await h.call('GET', '/v1/agents/a1', undefined, await bearer('auditor'))).json.status).toBe('ACTIVE');
  });

  it('refuses a client-supplied xpid (INVALID_XPID_CLAIM), private keys, reserved attributes and malformed keys', async () => {
    const { h, bearer } = await setup();
    const op = await bearer('operator');
    const key = await agentKey();
    const claim = await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [key], xpid: '93605d78-e08c-5a98-a3b2-0c3597bb9f90' }, op);
    expect(claim.status).toBe(400);
    expect(claim.json.code).toBe('INVALID_XPID_CLAIM');
    const bad: [unknown, string][] = [
      [{ agent_id: 'a1', public_keys: [{ ...key, d: 'A'.repeat(43) }] }, 'private key'],
      [{ agent_id: 'a1', public_keys: [] }, 'public_keys'],
      [{ agent_id: 'a1', public_keys: [key, key] }, 'same key twice'],
      [{ agent_id: 'a1', public_keys: [{ ...key, crv: 'X25519' }] }, 'crv'],
      [{ agent_id: 'a1', public_keys: [{ ...key, x: 'AAAA' }] }, '32-byte'],
      [{ agent_id: 'a1', public_keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }, 'kty'],
      [{ agent_id: 'a1', public_keys: [key], attributes: { roles: ['admin'] } }, 'reserved'],
      [{ agent_id: 'a1', public_keys: [key], status: 'ACTIVE' }, 'status'],
      [{ agent_id: '', public_keys: [key] }, 'agent_id'],
    ];
    for (const [body, message] of bad) {
      const r = await h.call('POST', '/v1/agents', body, op);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toBe('INVALID_INPUT');
      expect(r.json.detail).toContain(message);
    }
    expect((await h.call('PATCH', '/v1/agents/a1', { status: 'REVOKED' }, op)).status).toBe(400);
    expect((await h.call('GET', '/v1/agents', undefined, op)).json.agents).toEqual([]);
  });

  it('a stored registry entry changed behind the kernel stops the next start (AUDIT_TAMPERED), never feeds decisions', async () => {
    const { h, bearer, verifier } = await setup();
    await h.call('POST', '/v1/agents', { agent_id: 'a1', roles: ['read'], public_keys: [await agentKey()] }, await bearer('operator'));
    const doc = h.store.rawDocument('agent_registry', 1)!;
    doc.body = doc.body.replace('"roles":["read"]', '"roles":["admin"]');
    h.kernel.stop();
    const next = makeHarness({ store: h.store, signer: h.signer, deps: { operatorTokens: verifier } });
    await expect(next.started).rejects.toMatchObject({ code: 'AUDIT_TAMPERED' });
    expect((await next.call('GET', '/v1/agents', undefined, await bearer('operator'))).json.code).toBe('KERNEL_NOT_STARTED');
  });

  it('two kernels on one store (PostgreSQL, workerd isolates) see each other\'s registry changes before reading or changing it', async () => {
    const { h: a, bearer, verifier } = await setup();
    const b = makeHarness({ store: a.store, signer: a.signer, deps: { operatorTokens: verifier } });
    await b.started;
    const op = await bearer('operator');
    expect((await a.call('POST', '/v1/agents', { agent_id: 'x1', public_keys: [await agentKey()] }, op)).status).toBe(201);
    expect((await b.call('GET', '/v1/agents/x1', undefined, op)).json.status).toBe('ACTIVE');
    expect((await b.call('POST', '/v1/agents', { agent_id: 'x1', public_keys: [await agentKey()] }, op)).status).toBe(409);
    expect((await b.call('POST', '/v1/agents/x1/revoke', undefined, op)).json.status).toBe('REVOKED');
    expect((await a.call('PATCH', '/v1/agents/x1', { status: 'ACTIVE' }, op)).status).toBe(409);
    expect((await a.call('GET', '/v1/agents', undefined, op)).json.agents.map((x: { status: string }) => x.status)).toEqual(['REVOKED']);
  });

  it('without operator authentication configured: 503 UNAVAILABLE, nothing registered', async () => {
    const h = makeHarness();
    const r = await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [await agentKey()] }, { authorization: 'Bearer x.y.z' });
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('UNAVAILABLE');
  });
});

describe('registered agents are Cedar entities the kernel supplies', () => {
  const PROFILE = {
    capProfileId: 'agents-test',
    policies: `@id("dispatchers-dispatch") @tier("2") permit (principal, action == Action::"dispatch", resource) when { principal.roles.contains("dispatch") && principal.region == "kanto" };
@id("ops-team-reads") @tier("2") permit (principal in Team::"ops", action == Action::"read", resource);`,
  };

  async function withProfile() {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier }, profile: PROFILE });
    await h.started;
    return { h, ...ops };
  }

  it("a policy reads a registered principal's roles, attributes and parents without the caller sending them", async () => {
    const { h, bearer } = await withProfile();
    const op = await bearer('operator');
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'd7' });
    const dispatch = { principal: { type: 'Agent', id: 'd7' }, action: { type: 'Action', id: 'dispatch' }, resource: { type: 'Unit', id: 'u1' }, context: {} };
    const read = agentRead('d7');
    // unregistered: nothing to read, DENY
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, dispatch)).json.decision).toBe('DENY');
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, read)).json.decision).toBe('DENY');
    await h.call('POST', '/v1/agents', { agent_id: 'd7', roles: ['dispatch'], attributes: { region: 'kanto' }, parents: [{ type: 'Team', id: 'ops' }], public_keys: [await agentKey()] }, op);
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, dispatch)).json).toMatchObject({ decision: 'PERMIT', policy_ids: ['dispatchers-dispatch'] });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, read)).json).toMatchObject({ decision: 'PERMIT', policy_ids: ['ops-team-reads'] });
    // another principal is unaffected
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...dispatch, principal: { type: 'Agent', id: 'x' } })).json.decision).toBe('DENY');
  });

  it('request entities may add others but never define a registered agent: 400 INVALID_INPUT, nothing recorded', async () => {
    const { h, bearer } = await withProfile();
    await h.call('POST', '/v1/agents', { agent_id: 'd7', roles: ['read'], public_keys: [await agentKey()] }, await bearer('operator'));
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'x' });
    const forged = { principal: { type: 'Agent', id: 'd7' }, action: { type: 'Action', id: 'dispatch' }, resource: { type: 'Unit', id: 'u1' }, context: {}, entities: [{ uid: { type: 'Agent', id: 'd7' }, attrs: { roles: ['dispatch'], region: 'kanto' }, parents: [] }] };
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, forged);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_INPUT');
    expect(r.json.detail).toContain('registered agent');
    // also as another request's resource, in a batch (refused whole), and one-shot
    const other = { ...agentRead('x'), entities: [{ uid: { type: 'Agent', id: 'd7' }, attrs: {}, parents: [{ type: 'Team', id: 'ops' }] }] };
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead('x'), other] })).status).toBe(400);
    expect((await h.call('POST', '/v1/authorize', other)).status).toBe(400);
    const records = h.store.rawRecords(s.session_id);
    expect(records.map((x) => x.aleType)).toEqual(['SESSION_OPEN']);
    // entities of others still pass
    const fine = { ...agentRead('x'), entities: [{ uid: { type: 'Team', id: 'ops' }, attrs: {}, parents: [] }] };
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, fine)).status).toBe(200);
  });
});
