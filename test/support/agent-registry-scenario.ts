import { expect } from 'vitest';
import { Ed25519Signer } from '../../src/adapters/noble/ed25519.ts';
import type { AuditStore } from '../../src/ports/storage.ts';
import { makeHarness } from './harness.ts';
import { agentKey, journalRecords, makeOperators } from './operators.ts';

/**
 * Registry CRUD through HTTP on `store`, its journal records, then a second kernel on the same
 * store (same key) that replays the registry: the state, XPIDs and hashes come back as they were.
 */
export async function agentRegistryRoundTrip(store: AuditStore): Promise<void> {
  const { verifier, bearer } = await makeOperators();
  const seed = Ed25519Signer.generateSeed();
  const first = makeHarness({ store, signer: new Ed25519Signer(seed), deps: { operatorTokens: verifier } });
  await first.started;
  const op = await bearer('operator');
  const a = await first.call('POST', '/v1/agents', { agent_id: 'a1', roles: ['r'], attributes: { n: 1 }, public_keys: [await agentKey()] }, op);
  expect(a.status, a.text).toBe(201);
  expect((await first.call('POST', '/v1/agents', { agent_id: 'b2', public_keys: [await agentKey(), await agentKey()] }, op)).status).toBe(201);
  expect((await first.call('PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }, op)).json.status).toBe('SUSPENDED');
  expect((await first.call('POST', '/v1/agents/b2/revoke', undefined, op)).json.status).toBe('REVOKED');
  const before = (await first.call('GET', '/v1/agents', undefined, op)).json;
  expect(before.agents.map((x: { agent_id: string; status: string }) => [x.agent_id, x.status])).toEqual([['a1', 'SUSPENDED'], ['b2', 'REVOKED']]);
  const types = (await journalRecords(store)).map((r) => r.ale_type).filter((t) => t.startsWith('AGENT_') || t === 'XPID_DERIVED');
  expect(types).toEqual(['XPID_DERIVED', 'AGENT_REGISTERED', 'XPID_DERIVED', 'AGENT_REGISTERED', 'AGENT_STATUS_CHANGED', 'AGENT_REVOKED']);
  first.kernel.stop();

  const second = makeHarness({ store, signer: new Ed25519Signer(seed), deps: { operatorTokens: verifier } });
  await second.started;
  expect((await second.call('GET', '/v1/agents', undefined, op)).json).toEqual(before);
  // the replayed registry keeps its rules: revocation stays final, the next change is stored after the others
  expect((await second.call('PATCH', '/v1/agents/b2', { status: 'ACTIVE' }, op)).status).toBe(409);
  expect((await second.call('PATCH', '/v1/agents/a1', { status: 'ACTIVE' }, op)).json.status).toBe('ACTIVE');
  second.kernel.stop();
  const third = makeHarness({ store, signer: new Ed25519Signer(seed), deps: { operatorTokens: verifier } });
  await third.started;
  expect((await third.call('GET', '/v1/agents/a1', undefined, op)).json).toMatchObject({ status: 'ACTIVE', xpid: a.json.xpid, registry_entry_hash: a.json.registry_entry_hash });
  third.kernel.stop();
}
