/**
 * bench/cluster: the policy cluster on this machine (docs/cluster.md). Three etcd members and
 * three Kee instances (Node entry, each its own libSQL store) on loopback, default cluster
 * timings (poll 1 s, heartbeat 10 s, stale window 30 s):
 *
 * - decisions per second through one instance, then spread over the three (HTTP, one decision
 *   per request, `CONCURRENCY` clients each in its own session);
 * - time from a CAP Profile push to one instance until all three serve it;
 * - time from losing the etcd quorum (two members killed) until all three are DENY_ALL, and
 *   from restoring it until all three serve again.
 *
 * Run: `npm run bench:cluster` (needs Debian's `etcd-server`). Writes nothing; paste into RESULTS.md.
 */
import { cpus } from 'node:os';
import { body, makePublishers, sign } from '../../test/support/cap-profile.ts';
import { startClusterKernel, type ClusterKernel } from '../../test/support/cluster-kernels.ts';
import { startEtcdCluster } from '../../test/support/etcd.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const json = { 'content-type': 'application/json' };
const read = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd1' }, context: {} };
const DEFAULTS = { KEE_CLUSTER_POLL_MS: '1000', KEE_CLUSTER_HEARTBEAT_TIMEOUT_MS: '10000', KEE_CLUSTER_STALE_WINDOW_MS: '30000' };

async function load(targets: ClusterKernel[]): Promise<{ rate: number; errors: number }> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const k = targets[i % targets.length] as ClusterKernel;
      const s = (await (await fetch(`${k.base}/v1/sessions`, { method: 'POST', headers: json, body: '{"agent_id":"a"}' })).json()) as { session_id: string };
      while (Date.now() < end) {
        const r = await fetch(`${k.base}/v1/sessions/${s.session_id}/authorize`, { method: 'POST', headers: json, body: JSON.stringify(read) });
        await r.arrayBuffer();
        if (r.status === 200) done++;
        else errors++;
      }
      await fetch(`${k.base}/v1/sessions/${s.session_id}/close`, { method: 'POST' });
    }),
  );
  return { rate: done / SECONDS, errors };
}

async function untilAll(kernels: ClusterKernel[], ok: (status: number, body: { cluster?: { state: string; serving_version: number }; facts?: { cluster: { state: string } } }) => boolean): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const hs = await Promise.all(kernels.map(async (k) => {
      const r = await fetch(`${k.base}/healthz`);
      return ok(r.status, (await r.json()) as never);
    }));
    if (hs.every(Boolean)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const etcd = await startEtcdCluster();
const publishers = await makePublishers();
const env = { ...DEFAULTS, KEE_CLUSTER_ETCD: etcd.endpoints.join(','), KEE_PUBLISHER_KEYS: publishers.map((p) => Buffer.from(p.publicKey).toString('hex')).join(',') };
const kernels = await Promise.all([0, 1, 2].map(() => startClusterKernel(env)));
try {
  const pushAt = performance.now();
  const res = await fetch(`${kernels[0]!.base}/v1/cap-profile`, { method: 'PUT', headers: json, body: JSON.stringify(await sign(body({ version: 1 }), [publishers[0]!, publishers[1]!])) });
  if (res.status !== 200) throw new Error(`push: ${res.status} ${await res.text()}`);
  const acknowledged = performance.now() - pushAt;
  const allServing = acknowledged + (await untilAll(kernels, (s, b) => s === 200 && b.cluster?.serving_version === 1));

  const one = await load([kernels[0]!]);
  const three = await load(kernels);

  await etcd.stopMember(1);
  await etcd.stopMember(2);
  const toDenyAll = await untilAll(kernels, (s, b) => s === 503 && b.facts?.cluster.state === 'DENY_ALL');
  await etcd.startMember(1);
  await etcd.startMember(2);
  const toServing = await untilAll(kernels, (s, b) => s === 200 && b.cluster?.state === 'SERVING');

  const [l1, l5] = (await import('node:os')).loadavg();
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; load average ${l1?.toFixed(1)} (1 min), ${l5?.toFixed(1)} (5 min) at the end.`);
  console.log(`${SECONDS} s per load row, ${CONCURRENCY} clients, one decision per request, PERMIT with its credential.\n`);
  console.log('| what | result |\n| --- | ---: |');
  console.log(`| decisions/s, 1 instance | ${one.rate.toFixed(0)} (${(1e6 / one.rate).toFixed(0)} µs each)${one.errors ? `, ${one.errors} errors` : ''} |`);
  console.log(`| decisions/s, 3 instances | ${three.rate.toFixed(0)} (${(1e6 / three.rate).toFixed(0)} µs each)${three.errors ? `, ${three.errors} errors` : ''} |`);
  console.log(`| push acknowledged by the receiving instance | ${acknowledged.toFixed(0)} ms |`);
  console.log(`| push to all three serving it | ${allServing.toFixed(0)} ms |`);
  console.log(`| quorum lost (2 of 3 members killed) to all three DENY_ALL | ${toDenyAll.toFixed(0)} ms |`);
  console.log(`| quorum back to all three SERVING | ${toServing.toFixed(0)} ms |`);
} finally {
  await Promise.all(kernels.map((k) => k.kill()));
  await etcd.stop();
}
