/**
 * Mutual TLS between the kernel and etcd (KEE §6: client traffic over mTLS 1.3): certificates
 * made here with the openssl CLI, an etcd member requiring client certificates, the etcd adapter
 * with and without the right client certificate, a kernel started against it, and the
 * configuration rules of KEE_CLUSTER_ETCD*.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdGateway } from '../src/adapters/etcd/etcd-gateway.ts';
import { nodeEtcdTransport } from '../src/entry/etcd-transport.ts';
import { readCluster } from '../src/entry/local-config.ts';
import { startClusterKernel, type ClusterKernel } from './support/cluster-kernels.ts';
import { makeEtcdCerts, startEtcdCluster, type EtcdCluster, type EtcdTlsFiles } from './support/etcd.ts';
import { until } from './support/until.ts';

let etcd: EtcdCluster;
let certs: EtcdTlsFiles;
let kernel: ClusterKernel | null = null;

beforeAll(async () => {
  certs = makeEtcdCerts(mkdtempSync(join(tmpdir(), 'kee-etcd-tls-')));
  etcd = await startEtcdCluster({ members: 1, tls: certs });
}, 60_000);

afterAll(async () => {
  await kernel?.kill();
  await etcd?.stop();
});

const tlsOf = async (f: { ca: string; cert: string; key: string }) => ({ ca: await readFile(f.ca), cert: await readFile(f.cert), key: await readFile(f.key) });

describe('kernel ↔ etcd over mutual TLS', () => {
  it('the adapter reads and compare-and-swaps with its client certificate, and reaches nothing without one the members trust', async () => {
    const gw = new EtcdGateway(etcd.endpoints, nodeEtcdTransport({ tls: await tlsOf(certs) }));
    await until('the TLS member elected leader', async () => (await gw.status()).leader, { timeoutMs: 30_000, everyMs: 100 });
    expect(await gw.status()).toEqual({ members: 1, reachable: 1, leader: true });
    expect(await gw.compareAndSwap('kee/tls-probe', '0', 'one')).toBe(true);
    expect(await gw.read('kee/tls-probe')).toMatchObject({ value: 'one' });
    gw.close();
    // a client certificate from another CA: the member refuses the handshake
    const other = makeEtcdCerts(mkdtempSync(join(tmpdir(), 'kee-etcd-other-')));
    const stranger = new EtcdGateway(etcd.endpoints, nodeEtcdTransport({ tls: { ...(await tlsOf(other)), ca: await readFile(certs.ca) } }));
    await expect(stranger.read('kee/tls-probe')).rejects.toThrow();
    expect((await stranger.status()).reachable).toBe(0);
    stranger.close();
    // https without any client certificate is never attempted
    const bare = new EtcdGateway(etcd.endpoints, nodeEtcdTransport());
    await expect(bare.read('kee/tls-probe')).rejects.toThrow(/no client certificate/);
    bare.close();
  }, 60_000);

  it('a kernel configured with KEE_CLUSTER_ETCD_CA/_CERT/_KEY joins and serves', async () => {
    kernel = await startClusterKernel({ KEE_CLUSTER_ETCD: etcd.endpoints.join(','), KEE_CLUSTER_ETCD_CA: certs.ca, KEE_CLUSTER_ETCD_CERT: certs.cert, KEE_CLUSTER_ETCD_KEY: certs.key });
    const h = (await (await fetch(`${kernel.base}/healthz`)).json()) as { cluster: { state: string; members: number; reachable: number } };
    expect(h.cluster).toMatchObject({ state: 'SERVING', members: 1, reachable: 1 });
  }, 120_000);

  it('configuration: https needs all three files, http takes none, one scheme for all members, the poll within the stale window', () => {
    expect(readCluster({})).toBeNull();
    expect(readCluster({ KEE_CLUSTER_ETCD: 'http://a:2379, http://b:2379' })).toEqual({ endpoints: ['http://a:2379', 'http://b:2379'], tls: null, pollMs: 1000, heartbeatTimeoutMs: 10_000, staleWindowMs: 30_000 });
    const files = { KEE_CLUSTER_ETCD_CA: 'ca.pem', KEE_CLUSTER_ETCD_CERT: 'c.pem', KEE_CLUSTER_ETCD_KEY: 'c.key' };
    expect(readCluster({ KEE_CLUSTER_ETCD: 'https://a:2379', ...files })?.tls).toEqual({ ca: 'ca.pem', cert: 'c.pem', key: 'c.key' });
    const refused: [Record<string, string>, RegExp][] = [
      [{ KEE_CLUSTER_ETCD: 'https://a:2379', KEE_CLUSTER_ETCD_CA: 'ca.pem' }, /set KEE_CLUSTER_ETCD_CA, KEE_CLUSTER_ETCD_CERT and KEE_CLUSTER_ETCD_KEY/],
      [{ KEE_CLUSTER_ETCD: 'http://a:2379', ...files }, /need https:\/\//],
      [{ ...files }, /KEE_CLUSTER_ETCD is not/],
      [{ KEE_CLUSTER_ETCD: 'http://a:2379,https://b:2379' }, /mixes http/],
      [{ KEE_CLUSTER_ETCD: 'a:2379' }, /http:\/\/ or https:\/\//],
      [{ KEE_CLUSTER_ETCD: 'http://a:2379', KEE_CLUSTER_POLL_MS: '5000', KEE_CLUSTER_STALE_WINDOW_MS: '1000' }, /must not exceed/],
      [{ KEE_CLUSTER_ETCD: 'http://a:2379', KEE_CLUSTER_HEARTBEAT_TIMEOUT_MS: '10s' }, /whole number of milliseconds/],
    ];
    for (const [env, message] of refused) expect(() => readCluster(env), JSON.stringify(env)).toThrow(message);
  });
});
