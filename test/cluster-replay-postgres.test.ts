/**
 * Replays across instances sharing one PostgreSQL store (docs/identity.md "Replay caches",
 * docs/cluster.md): two Node kernels in a policy cluster on one database, KEE_AUTH=agents and the same
 * kernel and token keys (one issuer). An agent registered on one opens a session there and decides with a DPoP proof;
 * that accepted proof sent to the other instance (as a load balancer would: the same public URL,
 * so the same `htu`) is refused with the same 401 problem as a replay to the first, while a fresh
 * proof is accepted there. When the shared check cannot answer (its table gone), fresh proofs are
 * refused with 503 UNAVAILABLE on both, never accepted unchecked; restored, they are accepted again.
 */
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentKeyPair, assertion, dpopHeaders } from './support/agent-auth.ts';
import { makePublishers } from './support/cap-profile.ts';
import { startClusterKernel, type ClusterKernel } from './support/cluster-kernels.ts';
import { startEtcdCluster, type EtcdCluster } from './support/etcd.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';

const AUDIENCE = 'kee-cluster';
let etcd: EtcdCluster | undefined;
let pg: PostgresServer | undefined;
let databaseUrl: string;
let operatorToken: () => Promise<string>;
const kernels: ClusterKernel[] = [];

beforeAll(async () => {
  [etcd, pg] = await Promise.all([startEtcdCluster({ members: 1 }), startPostgres()]);
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  operatorToken = () => new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'op' }).setSubject('op').setAudience(AUDIENCE).setExpirationTime('5m').sign(privateKey);
  const dir = mkdtempSync(join(tmpdir(), 'kee-replay-'));
  writeFileSync(join(dir, 'operators.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'op' }] }));
  databaseUrl = await pg.createDatabase();
  const publishers = await makePublishers();
  const env = {
    KEE_DATABASE_URL: databaseUrl,
    KEE_CLUSTER_ETCD: etcd.endpoints.join(','),
    KEE_PUBLISHER_KEYS: publishers.map((p) => Buffer.from(p.publicKey).toString('hex')).join(','),
    KEE_AUTH: 'agents',
    // one kernel key (below) and token key: the instances are one issuer (`kee.local/<key_id>`),
    // so a session token (and an assertion's audience) is good on every instance
    KEE_SIGNER: 'ed25519',
    KEE_TOKEN_KEY: '17'.repeat(32),
    KEE_OPERATOR_JWKS: join(dir, 'operators.json'),
    KEE_OPERATOR_AUDIENCE: AUDIENCE,
  };
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'kee-cluster-'));
    writeFileSync(join(d, 'kernel-ed25519.key'), `${'42'.repeat(32)}\n`, { mode: 0o600 });
    return d;
  };
  kernels.push(...(await Promise.all([0, 1].map(() => startClusterKernel(env, dataDir())))));
}, 240_000);

afterAll(async () => {
  await Promise.all(kernels.map((k) => k.kill()));
  await etcd?.stop();
  await pg?.stop();
});

type Answer = { status: number; body: string };

/** POST `path` with a JSON body to the instance at `to`, addressed as `as` (the `Host` a load balancer keeps). */
function post(to: string, as: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const text = JSON.stringify(body);
  const { hostname, port } = new URL(to);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'POST', headers: { host: new URL(as).host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const REQUEST = { principal: { type: 'Agent', id: 'a1' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} };

/** Renames the shared table away (the PostgreSQL check then fails) or back. */
async function replayTable(from: string, to: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`ALTER TABLE ${from} RENAME TO ${to}`);
  await db.end();
}

describe('two instances on one PostgreSQL store', () => {
  it('a DPoP proof accepted by one instance, replayed to the other: the same 401 as a replay to the first; the shared check failing: 503, never accepted', async () => {
    const [a, b] = kernels as [ClusterKernel, ClusterKernel];
    const key = await agentKeyPair();
    const registered = await post(a.base, a.base, '/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, { authorization: `Bearer ${await operatorToken()}` });
    expect(registered.status, registered.body).toBe(201);
    const { key_id } = (await (await fetch(`${a.base}/v1/kernel/public-key`)).json()) as { key_id: string };
    const signed = await assertion(key, 'a1', `kee.local/${key_id}`);
    const opened = await post(a.base, a.base, '/v1/sessions', { agent_id: 'a1', client_assertion: signed });
    expect(opened.status, opened.body).toBe(201);
    // the client assertion, replayed to the other instance: refused as it is by the first
    const assertionAgain = await post(a.base, a.base, '/v1/sessions', { agent_id: 'a1', client_assertion: signed });
    expect(assertionAgain.status).toBe(401);
    expect(JSON.parse(assertionAgain.body)).toMatchObject({ detail: '`client_assertion` was already used (`jti` replayed)' });
    expect(await post(b.base, a.base, '/v1/sessions', { agent_id: 'a1', client_assertion: signed })).toEqual(assertionAgain);
    const { session_id, session_token } = JSON.parse(opened.body) as { session_id: string; session_token: string };
    const path = `/v1/sessions/${session_id}/authorize`;
    const url = `${a.base}${path}`; // the public URL: `htu` of every proof, whichever instance serves it
    const authorize = async (to: ClusterKernel, headers: Record<string, string>) => post(to.base, a.base, path, REQUEST, headers);

    const good = await dpopHeaders(key, 'POST', url, session_token);
    const accepted = await authorize(a, good);
    expect(accepted.status, accepted.body).toBe(200);
    expect(JSON.parse(accepted.body)).toMatchObject({ decision: 'PERMIT' });
    const sameInstance = await authorize(a, good);
    expect(sameInstance.status).toBe(401);
    expect(JSON.parse(sameInstance.body)).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'the `DPoP` proof was already used (`jti` replayed)' });
    // the other instance has never seen this proof in memory: the shared table refuses it
    const otherInstance = await authorize(b, good);
    expect(otherInstance).toEqual(sameInstance);
    // a fresh proof to the other instance is accepted: same session, same public URL
    const fresh = await authorize(b, await dpopHeaders(key, 'POST', url, session_token));
    expect(fresh.status, fresh.body).toBe(200);
    // a proof accepted by the second instance is refused by the first as well
    const viaB = await dpopHeaders(key, 'POST', url, session_token);
    expect((await authorize(b, viaB)).status).toBe(200);
    expect(await authorize(a, viaB)).toEqual(sameInstance);

    // the shared check cannot answer: refused with 503 on both instances, not accepted unchecked
    await replayTable('replay_ids', 'replay_ids_away');
    try {
      for (const k of [a, b]) {
        const refused = await authorize(k, await dpopHeaders(key, 'POST', url, session_token));
        expect(refused.status, refused.body).toBe(503);
        expect(JSON.parse(refused.body)).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringMatching(/shared replay store cannot be reached/) });
      }
    } finally {
      await replayTable('replay_ids_away', 'replay_ids');
    }
    const back = await authorize(b, await dpopHeaders(key, 'POST', url, session_token));
    expect(back.status, back.body).toBe(200);
  }, 120_000);
});
