/**
 * The KIA Party Registry on PostgreSQL: an accepted registry is a document, served again by the
 * next kernel on the same database, and its version still bounds the next submission.
 * (Memory and libSQL: test/party-registry.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { verifyPartyRegistry } from '../src/verifier/index.ts';
import { toHex } from '../src/kernel/hex.ts';
import { capProfileDeps, makePublishers, sign } from './support/cap-profile.ts';
import { makeHarness } from './support/harness.ts';
import { usePostgres } from './support/postgres.ts';

// never skipped: a missing server fails with the reason
const pg = usePostgres();

describe('the party registry on PostgreSQL', () => {
  it('survives a restart', async () => {
    const url = await pg.database();
    const publishers = await makePublishers(3);
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const boot = async () => {
      const store = (await pg.open(url)).store;
      const h = makeHarness({ store, signer, deps: { capProfile: capProfileDeps(publishers) } });
      await h.started;
      return h;
    };
    const first = await boot();
    const me = first.kernel.publicKey();
    const body = { registry_type: 'kia-party-registry', registry_id: 'jp-pg', version: 3, issued_at: '2026-12-01T00:00:00Z', kernels: [{ kia_id: me.key_id, group_public_key: me.public_key }], resource_providers: [] };
    const jws = await sign(body, publishers.slice(1));
    const put = await first.call('PUT', '/v1/party-registry', jws);
    expect(put.status, put.text).toBe(200);
    first.kernel.stop();

    const second = await boot();
    const got = await second.call('GET', '/v1/party-registry');
    expect(got.json).toEqual({ ...put.json, jws });
    expect(await verifyPartyRegistry(got.json.jws, { publisherKeys: publishers.map((p) => toHex(p.publicKey)) })).toMatchObject({ ok: true, registry_hash: put.json.registry_hash });
    expect((await second.call('PUT', '/v1/party-registry', await sign({ ...body, version: 2 }, publishers.slice(0, 2)))).json).toMatchObject({ status: 409, code: 'PARTY_REGISTRY_ROLLBACK' });
    second.kernel.stop();
  }, 120_000);
});
