/**
 * The running kernel keeps the contract it serves at /openapi.json: Schemathesis (pinned, installed
 * into .cache/ by scripts/schemathesis.sh) fuzzes a real Node kernel on loopback from the document,
 * through its coverage, fuzzing and stateful phases (the stateful one follows the document's
 * `links` into real sessions and blocks), and fails on any 5xx, any status, media type, header or
 * body the document does not describe, a wrong method answered otherwise than 405 with `Allow`,
 * and a schema-violating request accepted (test/api-fuzz/schemathesis.toml).
 *
 * KEE_API_FUZZ_SEED and KEE_API_FUZZ_EXAMPLES change the seed and the examples per operation.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI } from '../src/http/openapi.ts';
import { HEAD_REFUSED } from '../src/http/method-not-allowed.ts';
import { startServer, type RunningServer } from './runtime/servers.ts';

const SEED = process.env.KEE_API_FUZZ_SEED ?? '20261205';
const EXAMPLES = process.env.KEE_API_FUZZ_EXAMPLES ?? '60';
const CONFIG = join('test', 'api-fuzz', 'schemathesis.toml');

type Run = { code: number; stdout: string; stderr: string };
function run(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Schemathesis' failure section, each line cut short (a reproduction may carry a 64 KiB body). */
function failures(out: string): string {
  const start = out.indexOf('FAILURES');
  const errors = out.indexOf('ERRORS');
  const from = [start, errors].filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? Math.max(0, out.length - 6000);
  return out
    .slice(from)
    .split('\n')
    .filter((l) => !l.startsWith('        |'))
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
    .slice(0, 200)
    .join('\n');
}

/** A raw HTTP/1.1 request (fetch refuses TRACE). */
function raw(base: string, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the running kernel keeps its /openapi.json contract', () => {
  let server: RunningServer;
  let st: string;

  beforeAll(async () => {
    const install = await run('bash', ['scripts/schemathesis.sh'], 540_000);
    if (install.code !== 0) throw new Error(`scripts/schemathesis.sh failed (${install.code}):\n${install.stderr.slice(-4000)}`);
    st = install.stdout.trim();
    server = await startServer('node');
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('TRACE and every other undocumented method on each documented path: 405 problem+json with Allow', async () => {
    for (const [path, ops] of Object.entries(OPENAPI.paths)) {
      const concrete = path.replace('{session_id}', '00000000-0000-4000-8000-000000000000').replace('{block_id}', '0'.repeat(32));
      const methods = Object.keys(ops).map((m) => m.toUpperCase());
      const allow = [...methods, ...(methods.includes('GET') && !HEAD_REFUSED.includes(path) ? ['HEAD'] : [])].sort().join(', ');
      for (const method of ['TRACE', 'DELETE', 'PATCH', 'OPTIONS', 'PUT', 'POST'].filter((m) => !methods.includes(m))) {
        const r = await raw(server.base, method, concrete);
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.allow, `${method} ${path}`).toBe(allow);
        expect(r.headers['content-type']).toBe('application/problem+json');
        expect(JSON.parse(r.body)).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      }
    }
    expect((await raw(server.base, 'TRACE', '/no/such/path')).status).toBe(404);
  });

  it('Schemathesis finds no 5xx and no answer the document does not describe, its links reaching real sessions and blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-api-fuzz-'));
    const har = join(dir, 'run.har');
    // an operator token of the development key the kernel created, so the registry routes are
    // fuzzed past their bearer check too
    const token = await run(process.execPath, ['bin/kee.mjs', 'operator', 'token', '--role', 'operator', '--ttl', '3600'], 60_000, { KEE_DATA_DIR: server.dataDir });
    expect(token.code, token.stderr).toBe(0);
    const args = [
      '--config-file', CONFIG, '--no-color', 'run', `${server.base}/openapi.json`,
      '--header', `Authorization: Bearer ${token.stdout.trim()}`,
      '--seed', SEED, '--max-examples', EXAMPLES, '--workers', '2', '--request-timeout', '30',
      // a following event stream never ends, so every call would time out: its contract is
      // checked by src/http/routes/decision-stream.test.ts and openapi-conformance.test.ts
      '--exclude-operation-id', 'streamDecisions',
      '--report', 'har', '--report-har-path', har,
    ];
    const result = await run(st, args, 540_000);
    expect(result.code, `st ${args.join(' ')}\n${failures(result.stdout)}\n${result.stderr.slice(-2000)}\nkernel:\n${server.output().slice(-2000)}`).toBe(0);

    // the stateful phase got past the front door: the links led to real sessions and blocks
    const entries = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: { request: { method: string; url: string }; response: { status: number } }[] } }).log.entries;
    const reached = (method: string, pattern: RegExp, status: number) =>
      entries.filter((e) => e.request.method === method && pattern.test(new URL(e.request.url).pathname) && e.response.status === status).length;
    expect(reached('POST', /^\/v1\/sessions\/[0-9a-f-]{36}\/authorize$/, 200), 'authorize 200').toBeGreaterThan(0);
    expect(reached('POST', /^\/v1\/sessions\/[0-9a-f-]{36}\/close$/, 200), 'close 200').toBeGreaterThan(0);
    expect(reached('GET', /^\/v1\/audit\/blocks\/[0-9a-f]{32}$/, 200), 'block 200').toBeGreaterThan(0);
    // and the operator token got the registry past its bearer check
    expect(reached('GET', /^\/v1\/agents$/, 200), 'agents 200').toBeGreaterThan(0);
    expect(reached('GET', /^\/v1\/audit\/blocks\/[0-9a-f]{32}\/package$/, 200), 'package 200').toBeGreaterThan(0);
  }, 600_000);
});
