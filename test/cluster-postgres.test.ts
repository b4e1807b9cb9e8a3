/**
 * Three Kee instances on one PostgreSQL database, in a policy cluster (three etcd members), all
 * on loopback: a profile pushed to one is served by all and stored once; sessions are served by
 * any instance (no sticky routing); each session's chain stays linear and verifies; the block
 * log's indexes are unique and gap-free.
 */
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import type { AuditPackage } from '../src/kernel/audit/audit-package.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import { body, makePublishers, sign, type Publisher } from './support/cap-profile.ts';
import { startClusterKernel, type ClusterKernel } from './support/cluster-kernels.ts';
import { startEtcdCluster, type EtcdCluster } from './support/etcd.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';
import { until } from './support/until.ts';
import { wasmMerkle } from './support/wasm.ts';

let etcd: EtcdCluster;
let pg: PostgresServer;
let publishers: Publisher[];
let env: Record<string, string>;
const kernels: ClusterKernel[] = [];
const json = { 'content-type': 'application/json' };
const read = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd1' }, context: {} };

beforeAll(async () => {
  [etcd, pg] = await Promise.all([startEtcdCluster(), startPostgres()]);
  publishers = await makePublishers();
  env = { KEE_DATABASE_URL: await pg.createDatabase(), KEE_CLUSTER_ETCD: etcd.endpoints.join(','), KEE_PUBLISHER_KEYS: publishers.map((p) => Buffer.from(p.publicKey).toString('hex')).join(',') };
  // at once: each verifies the stored manifest chain and chains its start epoch to the latest (retrying a lost race)
  kernels.push(...(await Promise.all([0, 1, 2].map(() => startClusterKernel(env)))));
}, 240_000);

afterAll(async () => {
  await Promise.all(kernels.map((k) => k.kill()));
  await etcd?.stop();
  await pg?.stop();
});

const active = async (k: ClusterKernel) => (await (await fetch(`${k.base}/v1/cap-profile`)).json()) as { version: number; cedar_policy_hash: string };

describe('three instances on one PostgreSQL store', () => {
  it('a profile pushed to one is served by all, and a restarted instance comes back on it', async () => {
    const res = await fetch(`${kernels[1]!.base}/v1/cap-profile`, { method: 'PUT', headers: json, body: JSON.stringify(await sign(body({ version: 1 }), [publishers[0]!, publishers[2]!])) });
    expect(res.status, await res.clone().text()).toBe(200);
    const all = await until('every instance serving version 1', async () => {
      const ps = await Promise.all(kernels.map(active));
      return ps.every((p) => p.version === 1) ? ps : undefined;
    }, { timeoutMs: 30_000, everyMs: 100 });
    expect(all.map((p) => p.version)).toEqual([1, 1, 1]);
    expect(new Set(all.map((p) => p.cedar_policy_hash)).size).toBe(1);
    // the signed profile is stored once, by the instance that proposed it
    const db = new Client({ connectionString: env.KEE_DATABASE_URL });
    await db.connect();
    const stored = await db.query("select count(*)::int as n from documents where kind = 'cap_profile'");
    await db.end();
    expect(stored.rows[0].n).toBe(1);
    await kernels[0]!.stop();
    kernels[0] = await startClusterKernel(env);
    expect((await active(kernels[0])).version).toBe(1);
  }, 120_000);

  it('sessions served by any instance: linear chains that verify, a unique and gap-free block log', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const s = (await (await fetch(`${kernels[i % 3]!.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string };
        return { id: s.session_id, acks: [] as { ale_seq: number; decision: string }[] };
      }),
    );
    // each session's calls go round the three instances; sessions run concurrently
    await Promise.all(
      sessions.map(async (s, i) => {
        for (let n = 0; n < 9; n++) {
          const k = kernels[(i + n) % 3]!;
          const res = await fetch(`${k.base}/v1/sessions/${s.id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) });
          expect(res.status, await res.clone().text()).toBe(200);
          s.acks.push((await res.json()) as { ale_seq: number; decision: string });
        }
      }),
    );
    const merkle = wasmMerkle();
    const indexes: number[] = [];
    await Promise.all(
      sessions.map(async (s, i) => {
        const closed = await fetch(`${kernels[(i + 1) % 3]!.base}/v1/sessions/${s.id}/close`, { method: 'POST' });
        expect(closed.status, await closed.clone().text()).toBe(200);
        const block = (await closed.json()) as { block_id: string; log_index: number };
        indexes.push(block.log_index);
        const pkg = (await (await fetch(`${kernels[(i + 2) % 3]!.base}/v1/audit/blocks/${block.block_id}/package`)).json()) as AuditPackage;
        expect(verifyPackage(pkg, { merkle, verifier: ed25519Verifier }).ok).toBe(true);
        const seqs = pkg.records.map((r) => r.record.ale_seq);
        expect(seqs).toEqual(seqs.map((_, j) => j + 1));
        const types = new Map(pkg.records.map((r) => [r.record.ale_seq, r.record.ale_type]));
        for (const a of s.acks) expect(types.get(a.ale_seq)).toBe(a.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY');
      }),
    );
    const sorted = [...indexes].sort((a, b) => a - b);
    expect(sorted).toEqual(sorted.map((_, j) => sorted[0]! + j)); // unique and gap-free
    // one block log: every instance's checkpoint covers the same entries with the same root
    const checkpoints = [];
    for (const k of kernels) {
      const res = await fetch(`${k.base}/v1/audit/checkpoint`, { headers: { accept: 'application/json' } });
      expect(res.status, await res.clone().text()).toBe(200);
      checkpoints.push((await res.json()) as { size: number; root_hex: string });
    }
    expect(new Set(checkpoints.map((c) => `${c.size}/${c.root_hex}`)).size).toBe(1);
    expect(checkpoints[0]!.size).toBe(sorted.at(-1)! + 1);
  }, 120_000);

  it('a revocation made through one instance is in every instance\'s revocation feed', async () => {
    const s = (await (await fetch(`${kernels[0]!.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string };
    const permit = (await (await fetch(`${kernels[0]!.base}/v1/sessions/${s.session_id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) })).json()) as { decision: string; credential: string };
    expect(permit.decision).toBe('PERMIT');
    const jti = (JSON.parse(Buffer.from(permit.credential.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string }).jti;
    const revoked = await fetch(`${kernels[0]!.base}/v1/credentials/revoke`, { method: 'POST', headers: json, body: JSON.stringify({ token: permit.credential }) });
    expect(revoked.status).toBe(200);
    for (const k of kernels) {
      const feed = (await (await fetch(`${k.base}/v1/credentials/revocations?since=0`)).json()) as { revocations: { jti: string }[] };
      expect(feed.revocations.map((r) => r.jti)).toContain(jti);
    }
  }, 60_000);

  it('one instance killed mid-load: its sessions go on through the others, and nothing acknowledged is lost', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const s = (await (await fetch(`${kernels[i % 3]!.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string };
        return { id: s.session_id, acks: [] as { ale_seq: number; decision: string }[] };
      }),
    );
    let acknowledged = 0;
    let killed: Promise<void> | null = null;
    const down = new Set<number>();
    await Promise.all(
      sessions.map(async (s, i) => {
        for (let n = 0; n < 12; n++) {
          // past 30 acknowledged decisions instance 2 is killed (SIGKILL); every client waits for it to be gone
          if (acknowledged >= 30) await (killed ??= kernels[2]!.kill().then(() => void down.add(2)));
          let node = (i + n) % 3;
          if (down.has(node)) node = (node + 1) % 3;
          let res: Response;
          try {
            res = await fetch(`${kernels[node]!.base}/v1/sessions/${s.id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) });
          } catch {
            continue; // the killed instance: not acknowledged; the next call goes elsewhere
          }
          expect(res.status, await res.clone().text()).toBe(200);
          s.acks.push((await res.json()) as { ale_seq: number; decision: string });
          acknowledged++;
        }
      }),
    );
    await killed;
    const merkle = wasmMerkle();
    for (const s of sessions) {
      const closed = await fetch(`${kernels[0]!.base}/v1/sessions/${s.id}/close`, { method: 'POST' });
      expect(closed.status, await closed.clone().text()).toBe(200);
      const block = (await closed.json()) as { block_id: string };
      const pkg = (await (await fetch(`${kernels[1]!.base}/v1/audit/blocks/${block.block_id}/package`)).json()) as AuditPackage;
      expect(verifyPackage(pkg, { merkle, verifier: ed25519Verifier }).ok).toBe(true);
      const seqs = pkg.records.map((r) => r.record.ale_seq);
      expect(seqs).toEqual(seqs.map((_, j) => j + 1));
      const types = new Map(pkg.records.map((r) => [r.record.ale_seq, r.record.ale_type]));
      for (const a of s.acks) expect(types.get(a.ale_seq)).toBe('CEDAR_PERMIT');
    }
    await expect(fetch(`${kernels[2]!.base}/healthz`)).rejects.toThrow();
    // only calls in flight on the killed instance went unacknowledged; every session went on after it
    expect(acknowledged).toBeGreaterThan(60);
    for (const s of sessions) expect(s.acks.length).toBeGreaterThan(8);
  }, 120_000);
});
