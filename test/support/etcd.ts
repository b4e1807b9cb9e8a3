/**
 * A three-member etcd cluster on loopback for the tests, from Debian's `etcd-server` package
 * (`apt-get install -y etcd-server`): each member in its own temporary directory, client and
 * peer URLs on free ports; members can be stopped and started again (same data) to take the
 * quorum away and give it back. With `tls`, client traffic is mutual TLS (certificates made
 * with the openssl CLI, see `makeEtcdCerts`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export type EtcdTlsFiles = { ca: string; cert: string; key: string; serverCert: string; serverKey: string };

export type EtcdCluster = {
  /** Client URLs of the members, in order. */
  endpoints: string[];
  stopMember(i: number): Promise<void>;
  startMember(i: number): Promise<void>;
  stop(): Promise<void>;
};

export function findEtcd(): string {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (existsSync(p)) return p;
  throw new Error('etcd not found: install the Debian `etcd-server` package (apt-get install -y etcd-server)');
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI in `dir`. */
export function makeEtcdCerts(dir: string): EtcdTlsFiles {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=kee-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, ext] of [['server', 'server.ext'], ['client', 'client.ext']] as const) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=kee-test-${name}`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(ext));
  }
  return { ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key'), serverCert: f('server.pem'), serverKey: f('server.key') };
}

export async function startEtcdCluster(opts: { members?: number; tls?: EtcdTlsFiles } = {}): Promise<EtcdCluster> {
  const bin = findEtcd();
  const n = opts.members ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'kee-etcd-'));
  const scheme = opts.tls ? 'https' : 'http';
  const members = await Promise.all(
    Array.from({ length: n }, async (_, i) => ({ name: `m${i}`, client: await freePort(), peer: await freePort(), dir: join(root, `m${i}`) })),
  );
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const procs: (ChildProcess | null)[] = members.map(() => null);
  const endpoints = members.map((m) => `${scheme}://127.0.0.1:${m.client}`);

  const args = (i: number): string[] => {
    const m = members[i]!;
    return [
      '--name', m.name,
      '--data-dir', m.dir,
      '--listen-client-urls', `${scheme}://127.0.0.1:${m.client}`,
      '--advertise-client-urls', `${scheme}://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'kee-test',
      // fast elections on loopback
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'error',
      ...(opts.tls ? ['--client-cert-auth', '--trusted-ca-file', opts.tls.ca, '--cert-file', opts.tls.serverCert, '--key-file', opts.tls.serverKey] : []),
    ];
  };

  const startMember = async (i: number) => {
    if (procs[i]) return;
    const p = spawn(bin, args(i), { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.resume();
    procs[i] = p;
  };
  const stopMember = async (i: number) => {
    const p = procs[i];
    if (!p) return;
    procs[i] = null;
    if (p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };

  for (let i = 0; i < n; i++) await startMember(i);
  return {
    endpoints,
    stopMember,
    startMember,
    stop: async () => {
      for (let i = 0; i < n; i++) await stopMember(i);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
