/**
 * `kee audit verify` as a user runs it: JSON and NDJSON packages, exit codes, and the first
 * broken record, proof or signature named.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from './support/harness.ts';
import { writeBigPackage } from './support/big-package.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kee-cli-'));

async function kee(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args], { maxBuffer: 1 << 24 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('kee audit verify', () => {
  const file = join(dir, 'pkg.ndjson');
  let lines: string[] = [];
  let publicKey = '';
  beforeAll(async () => {
    ({ publicKey } = await writeBigPackage(file, 10_000));
    lines = readFileSync(file, 'utf8').split('\n');
  }, 60_000);
  const variant = (name: string, edit: (ls: string[]) => string[]) => {
    const f = join(dir, `${name}.ndjson`);
    writeFileSync(f, edit(lines.slice()).join('\n'));
    return f;
  };

  it('accepts an intact 10,000-record stream and the expected key', async () => {
    const r = await kee('audit', 'verify', file, '--public-key', publicKey);
    expect(r.out).toContain('OK block');
    expect(r.out).toContain('10000 records');
    expect(r.code).toBe(0);
  });

  it('names the first broken record, proof or signature (exit 1)', async () => {
    const cases: [string, (ls: string[]) => string[], RegExp][] = [
      ['field', (ls) => ((ls[5001] = ls[5001]!.replace('"decision":"PERMIT"', '"decision":"DENY"')), ls), /^FAIL proof: record 5000 \(ale_seq 5001\): inclusion proof/m],
      ['proof', (ls) => ((ls[7778] = ls[7778]!.replace(/"inclusion_proof":\["(.)/, (_m, c) => `"inclusion_proof":["${c === '0' ? '1' : '0'}`)), ls), /record 7777 \(ale_seq 7778\): inclusion proof/],
      ['deleted', (ls) => (ls.splice(3001, 1), ls), /record 3000 \(ale_seq 3002\): leaf_index is 3001, expected 3000/],
      ['swapped', (ls) => ([ls[201], ls[202]] = [ls[202]!, ls[201]!], ls), /record 200 \(ale_seq 202\)/],
      ['garbled', (ls) => ((ls[9001] = ls[9001]!.slice(0, 40)), ls), /record 9000: line 9002 is not valid JSON/],
      ['truncated', (ls) => ls.slice(0, 9000), /FAIL count: block declares 10000 records, package holds 8999/],
      ['signature', (ls) => ((ls[0] = ls[0]!.replace(/"signature":"(.)/, (_m, c) => `"signature":"${c === '0' ? '1' : '0'}`)), ls), /FAIL signature/],
    ];
    for (const [name, edit, expected] of cases) {
      const r = await kee('audit', 'verify', variant(name, edit));
      expect(r.code, `${name}: ${r.out}`).toBe(1);
      expect(r.out, name).toMatch(expected);
    }
    const wrongKey = await kee('audit', 'verify', file, '--public-key', 'ab'.repeat(32));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toContain('FAIL public_key');
  }, 120_000);

  it('exits 2 for usage errors and unreadable files', async () => {
    for (const args of [[], ['audit'], ['audit', 'verify'], ['audit', 'verify', file, '--bogus'], ['audit', 'verify', join(dir, 'missing.json')]]) {
      const r = await kee(...args);
      expect(r.code, args.join(' ')).toBe(args.length === 0 ? 0 : 2);
    }
    writeFileSync(join(dir, 'not.json'), '{"format":');
    expect((await kee('audit', 'verify', join(dir, 'not.json'))).code).toBe(2);
  }, 60_000);

  it('verifies what the server streams with ?format=ndjson', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    for (let i = 0; i < 5; i++) await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    const res = await h.app.request(`http://kee.test/v1/audit/blocks/${s.block_id}/package?format=ndjson`);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const f = join(dir, 'server.ndjson');
    writeFileSync(f, await res.text());
    expect(readFileSync(f, 'utf8').trim().split('\n')).toHaveLength(1 + 7);
    const r = await kee('audit', 'verify', f, '--json');
    expect(JSON.parse(r.out)).toEqual({ ok: true, block_id: s.block_id, records: 7 });
    const bad = await h.call('GET', `/v1/audit/blocks/${s.block_id}/package?format=xml`);
    expect(bad.status).toBe(400);
  }, 60_000);
});
