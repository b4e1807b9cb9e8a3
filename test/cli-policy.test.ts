/**
 * `kee policy keygen / sign / push` as three publishers and an operator run them, against a
 * kernel started by the Node entry (publisher keys from KEE_PUBLISHER_KEYS, or dev keys).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kee-cli-policy-'));
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function kee(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args]);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const POLICIES = `
@id("t2-write-reports")
@tier("2")
@cap_rrs_control_id("ops:write-reports")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")
permit (principal is Agent, action == Action::"write", resource is Report);

@id("t1-no-delete")
@tier("1")
@cap_rrs_control_id("appi:no-delete")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057#/Law/LawBody/MainProvision/Article[@Num='17']")
forbid (principal, action == Action::"delete", resource);
`;
const write = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'write' }, resource: { type: 'Report', id: 'r1' }, context: {} };

async function decide(base: string, request: unknown): Promise<{ decision: string; policy_ids: string[] }> {
  const s = await (await fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"agent_id":"a"}' })).json();
  const res = await fetch(`${base}/v1/sessions/${s.session_id}/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  return res.json();
}

describe('kee policy', () => {
  it('three publishers: keygen x3, sign x2, push to a kernel configured with their keys', async () => {
    const kids: string[] = [];
    for (const n of [1, 2, 3]) {
      const r = await kee('policy', 'keygen', '--out', join(dir, `p${n}`));
      expect(r.code, r.out).toBe(0);
      kids.push(/^kid ([0-9a-f]{64})$/m.exec(r.out)![1]!);
      expect(statSync(join(dir, `p${n}`, 'publisher.key')).mode & 0o777).toBe(0o600);
    }
    expect((await kee('policy', 'keygen', '--out', join(dir, 'p1'))).code).toBe(2); // never overwrites a key

    const pubs = [1, 2, 3].map((n) => readFileSync(join(dir, `p${n}`, 'publisher.pub'), 'utf8').trim());
    // one key as base64url: both encodings are accepted
    const b64 = Buffer.from(pubs[1]!, 'hex').toString('base64url');
    process.env.KEE_PUBLISHER_KEYS = `${pubs[0]}, ${b64},${pubs[2]}`;
    // the profile pushed below is a government one: a software-key kernel takes it only under the development switch
    process.env.KEE_ALLOW_NONCONFORMANT = '1';
    const server = await startServer('node');
    delete process.env.KEE_PUBLISHER_KEYS;
    delete process.env.KEE_ALLOW_NONCONFORMANT;
    servers.push(server);
    expect(server.output()).toContain('cap profile publishers (KEE_PUBLISHER_KEYS)');
    expect((await decide(server.base, write)).decision).toBe('DENY');

    const cedarFile = join(dir, 'profile.cedar');
    writeFileSync(cedarFile, POLICIES);
    const one = join(dir, 'one.json');
    const two = join(dir, 'two.json');
    const signed = await kee('policy', 'sign', '--key', join(dir, 'p1', 'publisher.key'), '--profile', cedarFile, '--id', 'jp-ops', '--version', '1', '--kind', 'government', '--effective-date', '2026-01-01T00:00:00Z', '--out', one);
    expect(signed.code, signed.out).toBe(0);
    expect(signed.out).toContain(`as ${kids[0]}: 1 signature(s)`);
    const again = await kee('policy', 'sign', '--key', join(dir, 'p1', 'publisher.key'), '--in', one, '--out', join(dir, 'dup.json'));
    expect(again.code).toBe(1);
    expect(again.out).toContain('already carries a signature');

    const single = await kee('policy', 'push', '--url', server.base, one);
    expect(single.code).toBe(1);
    expect(single.out).toContain('CAP_SIGNATURES_INSUFFICIENT');

    expect((await kee('policy', 'sign', '--key', join(dir, 'p3', 'publisher.key'), '--in', one, '--out', two)).code).toBe(0);
    const pushed = await kee('policy', 'push', '--url', server.base, two);
    expect(pushed.code, pushed.out).toBe(0);
    expect(JSON.parse(pushed.out)).toMatchObject({ cap_profile_id: 'jp-ops', version: 1 });
    expect(await decide(server.base, write)).toMatchObject({ decision: 'PERMIT', policy_ids: ['t2-write-reports'] });
    const active = await (await fetch(`${server.base}/v1/cap-profile`)).json();
    expect(active.publishers).toEqual([kids[0], kids[2]].sort());

    const replay = await kee('policy', 'push', '--url', server.base, two);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('CAP_ROLLBACK');
  }, 180_000);

  it('exits 2 for usage, file and network errors', async () => {
    for (const args of [['policy', 'bogus'], ['policy', 'keygen'], ['policy', 'sign', '--key', 'x'], ['policy', 'push', 'f.json'], ['policy', 'sign', '--nope', '1']]) {
      expect((await kee(...args)).code, args.join(' ')).toBe(2);
    }
    expect((await kee('policy', 'push', '--url', 'http://127.0.0.1:9', join(dir, 'missing.json'))).code).toBe(2);
    const jws = join(dir, 'net.json');
    writeFileSync(jws, JSON.stringify({ payload: 'e30', signatures: [{ protected: 'eyJhbGciOiJFZERTQSIsImtpZCI6IngifQ', signature: 'AA' }] }));
    const unreachable = await kee('policy', 'push', '--url', 'http://127.0.0.1:9', jws);
    expect(unreachable.code).toBe(2);
    expect(unreachable.out).toContain('cannot reach');
  }, 60_000);

  it('refuses to start with other than three distinct keys (a message, no stack trace)', async () => {
    const pub = readFileSync(join(dir, 'p1', 'publisher.pub'), 'utf8').trim();
    for (const keys of [`${pub},${pub},${pub}`, `${pub}`, 'zz']) {
      const child = spawn(join('node_modules', '.bin', 'tsx'), ['src/entry/node.ts'], {
        env: { ...process.env, PORT: '0', KEE_AUTH: 'none', KEE_DATA_DIR: mkdtempSync(join(tmpdir(), 'kee-badkeys-')), KEE_PUBLISHER_KEYS: keys },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code, out).toBe(1);
      expect(out).toMatch(/kee: cannot start: publisher keys: /);
      expect(out).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('without configured keys, creates three development publishers the walk-through can sign with', async () => {
    const server = await startServer('node');
    servers.push(server);
    expect(server.output()).toContain('DEVELOPMENT publisher keys');
    const key = (n: number) => join(server.dataDir, 'dev-publishers', `publisher-${n}`, 'publisher.key');
    expect(statSync(key(1)).mode & 0o777).toBe(0o600);
    const f = join(dir, 'dev.json');
    const body = join(dir, 'body.json');
    // a body.json without cedar_policy_hash / controls: the tool fills them in
    writeFileSync(body, JSON.stringify({
      cap_profile_id: 'dev', version: 1, effective_date: '2026-01-01T00:00:00Z', profile_kind: 'standard', policies: POLICIES,
      catalog_version: { version_id: 'dev-1', supersedes: null, published_by: 'dev', published_at: '2026-01-01T00:00:00Z' },
    }));
    expect((await kee('policy', 'sign', '--key', key(1), '--profile', body, '--out', f)).code).toBe(0);
    expect((await kee('policy', 'sign', '--key', key(2), '--in', f, '--out', f)).code).toBe(0);
    const pushed = await kee('policy', 'push', '--url', server.base, f);
    expect(pushed.code, pushed.out).toBe(0);
    expect((await decide(server.base, write)).decision).toBe('PERMIT');
  }, 180_000);
});
