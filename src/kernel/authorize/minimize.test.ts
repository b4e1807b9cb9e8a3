/**
 * Data minimisation per profile (KEE §8.4): a CAP Profile signed with `record_subjects: digest`
 * makes decision records carry `subject_digest` and the entity types instead of the raw principal
 * and resource ids, also after a restart restores the profile; without it the ids are recorded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { Ed25519Signer } from '../../adapters/noble/ed25519.ts';
import { canonicalJson } from '../jcs.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { body, capProfileDeps, makePublishers, sign, type Publisher } from '../../../test/support/cap-profile.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

const read = { principal: { type: 'Agent', id: 'alice-the-citizen' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'resident-register-4711' }, context: {} };

async function decideOnce(h: ReturnType<typeof makeHarness>) {
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
  const answer = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, read);
  expect(answer.json.decision).toBe('PERMIT');
  const stored = h.store.rawRecords(s.session_id)[1]!;
  return { record: JSON.parse(stored.canonical), canonical: stored.canonical };
}

describe('record_subjects: digest', () => {
  it('keeps raw principal and resource ids out of decision records, before and after a restart', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const h = makeHarness({ store, signer, deps: { capProfile: capProfileDeps(pubs) } });
    expect((await h.call('PUT', '/v1/cap-profile', await sign(body({ record_subjects: 'digest' }), pubs))).status).toBe(200);
    const { record, canonical } = await decideOnce(h);
    expect(record).toMatchObject({ ale_type: 'CEDAR_PERMIT', principal_type: 'Agent', resource_type: 'Dataset', action: read.action, record_subjects: 'digest' });
    expect(record.principal).toBeUndefined();
    expect(record.resource).toBeUndefined();
    expect(canonical).not.toContain('alice-the-citizen');
    expect(canonical).not.toContain('resident-register-4711');
    // the digest still commits to the whole request: a holder of the request can prove it
    expect(record.subject_digest).toBe(h.merkle.sha256Hex(canonicalJson(read)));

    h.kernel.stop();
    const again = makeHarness({ store, signer, deps: { capProfile: capProfileDeps(pubs) } });
    await again.started;
    expect((await again.call('GET', '/v1/cap-profile')).json.version).toBe(1);
    const after = await decideOnce(again);
    expect(after.canonical).not.toContain('alice-the-citizen');
    expect(after.record.record_subjects).toBe('digest');
  });

  it('records the raw ids without it, and refuses any other value as malformed', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    expect((await h.call('PUT', '/v1/cap-profile', await sign(body({ record_subjects: 'raw' }), pubs))).status).toBe(200);
    const { record } = await decideOnce(h);
    expect(record).toMatchObject({ principal: read.principal, resource: read.resource });
    expect(record.record_subjects).toBeUndefined();
    const bad = { ...body({ version: 2, catalog_version: { version_id: 'cat-2', supersedes: 'cat-1', published_by: 't', published_at: '2026-01-01T00:00:00Z' } }), record_subjects: 'hashed' };
    const res = await h.call('PUT', '/v1/cap-profile', await sign(bad, pubs));
    expect(res.json).toMatchObject({ code: 'CAP_PROFILE_MALFORMED' });
    expect(res.json.detail).toContain('`record_subjects` must be `raw` or `digest`');
  });
});
