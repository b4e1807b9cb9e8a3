/**
 * The policy cluster end to end (docs/cluster.md): three etcd members and three Kee instances
 * (Node entry, each its own libSQL store) on loopback. A profile pushed to one instance serves
 * on all at one version; a forged committed update is refused by every instance; losing the
 * etcd quorum puts every instance in DENY_ALL within the stale window and healing brings them
 * back; load spread over the three, with one instance killed mid-load, loses no acknowledged
 * decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdGateway } from '../src/adapters/etcd/etcd-gateway.ts';
import { nodeEtcdTransport } from '../src/entry/etcd-transport.ts';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import type { AuditPackage } from '../src/kernel/audit/audit-package.ts';
import { encodeCommitted, POLICY_KEY } from '../src/kernel/cluster/committed-policy.ts';
import { body, makePublisher, makePublishers, POLICIES_V1, sign, type Publisher } from './support/cap-profile.ts';
import { startClusterKernel, type ClusterKernel } from './support/cluster-kernels.ts';
import { startEtcdCluster, type EtcdCluster } from './support/etcd.ts';
import { until } from './support/until.ts';
import { wasmMerkle } from './support/wasm.ts';

let etcd: EtcdCluster;
let publishers: Publisher[];
let env: Record<string, string>;
const kernels: ClusterKernel[] = [];
const json = { 'content-type': 'application/json' };
const read = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd1' }, context: {} };

/** Catalog `cat-<version>` superseding the one before (P4 catalog continuity). */
const catalog = (version: number, supersedes: number | null) => ({ catalog_version: { version_id: `cat-${version}`, supersedes: supersedes === null ? null : `cat-${supersedes}`, published_by: 'test-authority', published_at: '2026-01-01T00:00:00Z' } });

const health = async (k: ClusterKernel) => {
  const r = await fetch(`${k.base}/healthz`);
  type Node = { state: string; reason: string | null; serving_version: number; split_brain: boolean };
  // 200: the health body; 503: problem+json UNAVAILABLE with the node state in `facts.cluster`
  const b = (await r.json()) as { cluster: Node; code?: string; facts?: { cluster: Node } };
  if (r.status === 503) expect(b.code).toBe('UNAVAILABLE');
  return { status: r.status, body: { cluster: r.status === 503 ? (b.facts as { cluster: Node }).cluster : b.cluster } };
};
const profile = async (k: ClusterKernel) => (await (await fetch(`${k.base}/v1/cap-profile`)).json()) as { version: number; cedar_policy_hash: string; cap_profile_hash: string };
const push = (k: ClusterKernel, jws: unknown) => fetch(`${k.base}/v1/cap-profile`, { method: 'PUT', headers: json, body: JSON.stringify(jws) });
async function decideOnce(k: ClusterKernel): Promise<{ decision: string; reasons: string[] }> {
  const s = (await (await fetch(`${k.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string };
  return (await (await fetch(`${k.base}/v1/sessions/${s.session_id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) })).json()) as { decision: string; reasons: string[] };
}
/** Every instance serves `version`, SERVING, with one cedar_policy_hash. */
async function allServe(version: number): Promise<string> {
  return until(`every instance serving version ${version}`, async () => {
    const hs = await Promise.all(kernels.map(health));
    if (!hs.every((h) => h.status === 200 && h.body.cluster.state === 'SERVING' && h.body.cluster.serving_version === version)) return undefined;
    const ps = await Promise.all(kernels.map(profile));
    const hashes = new Set(ps.map((p) => p.cedar_policy_hash));
    return ps.every((p) => p.version === version) && hashes.size === 1 ? [...hashes][0] : undefined;
  }, { timeoutMs: 30_000, everyMs: 100 });
}

beforeAll(async () => {
  etcd = await startEtcdCluster();
  publishers = await makePublishers();
  env = { KEE_CLUSTER_ETCD: etcd.endpoints.join(','), KEE_PUBLISHER_KEYS: publishers.map((p) => Buffer.from(p.publicKey).toString('hex')).join(',') };
  kernels.push(...(await Promise.all([0, 1, 2].map(() => startClusterKernel(env)))));
}, 180_000);

afterAll(async () => {
  await Promise.all(kernels.map((k) => k.kill()));
  await etcd?.stop();
});

describe('policy cluster (3 etcd members, 3 instances)', () => {
  it('a profile pushed to one instance is served by all three at the same version and cedar_policy_hash', async () => {
    const res = await push(kernels[0]!, await sign(body({ version: 1, ...catalog(1, null) }), [publishers[0]!, publishers[1]!]));
    expect(res.status, await res.clone().text()).toBe(200);
    const accepted = (await res.json()) as { version: number; cedar_policy_hash: string };
    expect(accepted.version).toBe(1);
    expect(await allServe(1)).toBe(accepted.cedar_policy_hash);
    for (const k of kernels) expect((await decideOnce(k)).decision).toBe('PERMIT');
    // the same version again, through another instance: the cluster already committed it
    const again = await push(kernels[1]!, await sign(body({ version: 1, ...catalog(1, null) }), [publishers[1]!, publishers[2]!]));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('CAP_ROLLBACK');
  }, 120_000);

  it('a forged update committed behind the instances\' back is refused by every instance, never applied, until a valid one', async () => {
    const outsider = await makePublisher();
    // one publisher and an outsider: fewer than two valid publisher signatures; it would permit deletes
    const forgedBody = body({ version: 2, ...catalog(2, 1) }, POLICIES_V1.replace('forbid', 'permit'));
    const forged = await sign(forgedBody, [publishers[0]!, outsider]);
    const gw = new EtcdGateway(etcd.endpoints, nodeEtcdTransport());
    const current = await gw.read(POLICY_KEY);
    expect(await gw.compareAndSwap(POLICY_KEY, current!.modRevision, encodeCommitted({ version: 2, cap_profile_id: forgedBody.cap_profile_id, cap_profile_hash: 'f'.repeat(64), jws: forged as never }))).toBe(true);
    gw.close();
    await until('every instance refusing the forged update', async () => {
      const hs = await Promise.all(kernels.map(health));
      return hs.every((h) => h.status === 503 && h.body.cluster.state === 'DENY_ALL' && h.body.cluster.reason === 'COMMITTED_UPDATE_REFUSED') ? true : undefined;
    }, { timeoutMs: 30_000, everyMs: 100 });
    for (const k of kernels) {
      expect((await profile(k)).version).toBe(1);
      const d = await decideOnce(k);
      expect(d.decision).toBe('DENY');
      expect(d.reasons.join(' ')).toContain('COMMITTED_UPDATE_REFUSED');
    }
    // a valid newer update, through any instance, brings every one back
    const res = await push(kernels[1]!, await sign(body({ version: 3, ...catalog(3, 1) }), [publishers[1]!, publishers[2]!]));
    expect(res.status, await res.clone().text()).toBe(200);
    await allServe(3);
    for (const k of kernels) expect((await decideOnce(k)).decision).toBe('PERMIT');
  }, 120_000);

  // how soon (at the first round that sees a minority, before any stale window) is the kernel
  // clock's business: src/kernel/cluster/policy-cluster.test.ts; no wall-clock bound here (no timed tests)
  it('losing the etcd quorum puts every instance in DENY_ALL (NO_MAJORITY); restoring it brings them back', async () => {
    await etcd.stopMember(1);
    await etcd.stopMember(2);
    const states = await until('every instance DENY_ALL', async () => {
      const hs = await Promise.all(kernels.map(health));
      return hs.every((h) => h.status === 503 && h.body.cluster.state === 'DENY_ALL') ? hs : undefined;
    }, { timeoutMs: 30_000, everyMs: 100 });
    for (const h of states) expect(h.body.cluster).toMatchObject({ reason: 'NO_MAJORITY', split_brain: true });
    const d = await decideOnce(kernels[0]!);
    expect(d.decision).toBe('DENY');
    expect(d.reasons.join(' ')).toContain('NO_MAJORITY');
    const refused = await push(kernels[0]!, await sign(body({ version: 4, ...catalog(4, 3) }), [publishers[0]!, publishers[2]!]));
    expect(refused.status).toBe(503); // nothing commits
    await etcd.startMember(1);
    await etcd.startMember(2);
    await allServe(3);
    expect((await decideOnce(kernels[2]!)).decision).toBe('PERMIT');
  }, 120_000);

  it('load over the three instances with one killed mid-load: every acknowledged decision is in a verified package, one linear chain per session', async () => {
    type Ack = { ale_seq: number; decision: string };
    const sessions = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        const node = i % 3;
        const s = (await (await fetch(`${kernels[node]!.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string; block_id: string };
        return { node, id: s.session_id, acks: [] as Ack[] };
      }),
    );
    let acknowledged = 0;
    const killAt = 60;
    let killed: Promise<void> | null = null;
    await Promise.all(
      sessions.map(async (s) => {
        for (let n = 0; n < 20; n++) {
          if (acknowledged >= killAt) killed ??= kernels[2]!.kill();
          let res: Response;
          try {
            res = await fetch(`${kernels[s.node]!.base}/v1/sessions/${s.id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) });
          } catch {
            return; // the killed instance: nothing acknowledged from here
          }
          if (res.status !== 200) return;
          const a = (await res.json()) as Ack;
          s.acks.push({ ale_seq: a.ale_seq, decision: a.decision });
          acknowledged++;
        }
      }),
    );
    await killed;
    expect(sessions.filter((s) => s.node === 2).every((s) => s.acks.length < 20)).toBe(true);
    // the killed instance restarts on its data directory (its store lock died with it)
    kernels[2] = await startClusterKernel(env, kernels[2]!.dataDir);
    expect(kernels[2].output()).toContain('taking over the lock');
    const merkle = wasmMerkle();
    const logIndexes = new Map<number, number[]>();
    for (const s of sessions) {
      const k = kernels[s.node]!;
      const closed = await fetch(`${k.base}/v1/sessions/${s.id}/close`, { method: 'POST' });
      expect(closed.status, await closed.clone().text()).toBe(200);
      const block = (await closed.json()) as { block_id: string; log_index: number };
      logIndexes.set(s.node, [...(logIndexes.get(s.node) ?? []), block.log_index]);
      const pkg = (await (await fetch(`${k.base}/v1/audit/blocks/${block.block_id}/package`)).json()) as AuditPackage;
      expect(verifyPackage(pkg, { merkle, verifier: ed25519Verifier }).ok).toBe(true);
      const seqs = pkg.records.map((r) => r.record.ale_seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // one linear chain, from ale_seq 1
      const decisions = new Map(pkg.records.map((r) => [r.record.ale_seq, r.record.ale_type]));
      for (const a of s.acks) expect(decisions.get(a.ale_seq)).toBe(a.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY');
    }
    // each instance's block log: unique indexes
    for (const idx of logIndexes.values()) expect(new Set(idx).size).toBe(idx.length);
  }, 120_000);
});
