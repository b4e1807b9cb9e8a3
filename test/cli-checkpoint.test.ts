/**
 * `kee audit verify-checkpoint` as a user runs it, on files fetched from a kernel: a checkpoint,
 * a consistency proof from an older one, an inclusion proof and the block; exit codes, and the
 * tampered file named.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from './support/harness.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kee-cp-'));
const f = (name: string) => join(dir, name);

async function kee(...args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', 'audit', 'verify-checkpoint', ...args]);
    return { code: 0, out: r.stdout + r.stderr, stdout: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr, stdout: err.stdout };
  }
}

/** `text` with the character at `i` changed to another of the same class (hex digit, base64 letter). */
const flip = (text: string, i: number) => text.slice(0, i) + (text[i] === 'a' ? 'b' : 'a') + text.slice(i + 1);

describe('kee audit verify-checkpoint', () => {
  let key = '';
  let origin = '';
  let blockId = '';
  beforeAll(async () => {
    const h = makeHarness();
    key = h.kernel.publicKey().public_key;
    origin = `kee.local/${h.kernel.kernelId}`;
    const closed: any[] = [];
    for (let i = 0; i < 5; i++) {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `a${i}` });
      await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
      closed.push((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json);
      if (i === 2) writeFileSync(f('old.txt'), (await h.call('GET', '/v1/audit/checkpoint')).text);
    }
    blockId = closed[1].block_id;
    writeFileSync(f('cp.txt'), (await h.call('GET', '/v1/audit/checkpoint')).text);
    writeFileSync(f('cp.json'), (await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' })).text);
    writeFileSync(f('consistency.json'), (await h.call('GET', '/v1/audit/proofs/consistency?from=3&to=5')).text);
    writeFileSync(f('inclusion.json'), (await h.call('GET', `/v1/audit/proofs/inclusion?block_id=${blockId}&size=5`)).text);
    writeFileSync(f('block.json'), JSON.stringify(closed[1]));
    writeFileSync(f('entry.json'), (await h.call('GET', '/v1/audit/log/entries/1')).text);
  }, 60_000);

  const all = () => ['--public-key', key, '--previous', f('old.txt'), '--proof', f('consistency.json'), '--inclusion', f('inclusion.json'), '--leaf', f('block.json')];

  it('verifies the checkpoint, its consistency with an older one and the inclusion of a block (exit 0, --json)', async () => {
    const ok = await kee(f('cp.txt'), ...all(), '--origin', origin);
    expect(ok.out).toContain(`OK checkpoint ${origin} size 5 root `);
    expect(ok.out).toContain('extends the checkpoint of size 3');
    expect(ok.out).toContain(`includes block ${blockId} at index 1`);
    expect(ok.code).toBe(0);
    const json = await kee(f('cp.json'), ...all().slice(0, 6), '--inclusion', f('inclusion.json'), '--leaf', f('entry.json'), '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, origin, size: 5, consistency: { from: 3, to: 5 }, inclusion: { leaf_index: 1, block_id: blockId } });
  }, 60_000);

  it('exits 1 naming the checkpoint, the older checkpoint, the proof or the leaf with one changed byte', async () => {
    const read = (name: string) => readFileSync(f(name), 'utf8');
    const cp = read('cp.txt');
    const rootAt = cp.indexOf('\n', cp.indexOf('\n') + 1) + 5;
    const cases: [string, string, string, RegExp][] = [
      ['cp.txt', 'cp-root.txt', flip(cp, rootAt), /^FAIL checkpoint: the Ed25519 signature of key `kee\.local\/[0-9a-f-]+` does not verify/m],
      ['cp.txt', 'cp-sig.txt', flip(cp, cp.length - 10), /^FAIL checkpoint: /m],
      ['old.txt', 'old-size.txt', read('old.txt').replace('\n3\n', '\n2\n'), /^FAIL previous: the Ed25519 signature/m],
      ['consistency.json', 'consistency-bad.json', flip(read('consistency.json'), read('consistency.json').indexOf('"proof":["') + 20), /^FAIL consistency: the proof does not show that the tree of size 3/m],
      ['inclusion.json', 'inclusion-bad.json', flip(read('inclusion.json'), read('inclusion.json').indexOf('"audit_path":["') + 30), /^FAIL inclusion: block `[0-9a-f]{32}` is not included at index 1/m],
      ['block.json', 'block-bad.json', read('block.json').replace(/"merkle_root":"(.)/, (_m, c) => `"merkle_root":"${c === 'a' ? 'b' : 'a'}`), /^FAIL leaf: block `[0-9a-f]{32}` hashes to [0-9a-f]{64}, the proof's leaf_hash is/m],
      ['cp.json', 'cp-json.json', read('cp.json').replace(/"size":5/, '"size":6'), /^FAIL checkpoint: the JSON field `size`/m],
    ];
    for (const [original, name, content, expected] of cases) {
      expect(content, name).not.toBe(read(original));
      writeFileSync(f(name), content);
      const args = all().map((a) => (a === f(original) ? f(name) : a));
      const r = await kee(original.startsWith('cp.') ? f(name) : f('cp.txt'), ...args);
      expect(r.code, `${name}: ${r.out}`).toBe(1);
      expect(r.out, name).toMatch(expected);
    }
    const wrongKey = await kee(f('cp.txt'), '--public-key', 'ab'.repeat(32));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toMatch(/^FAIL checkpoint: no signature by key/m);
  }, 120_000);

  it('exits 2 for usage errors, a malformed key and unreadable files, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [[f('cp.txt')], /--public-key is required/],
      [[f('cp.txt'), '--public-key', 'xyz'], /--public-key must be the kernel's Ed25519 key, 64 hex digits/],
      [[f('cp.txt'), '--public-key', key, '--previous', f('old.txt')], /--previous and --proof go together/],
      [[f('cp.txt'), '--public-key', key, '--bogus'], /unknown option `--bogus`/],
      [[f('missing.txt'), '--public-key', key], /cannot read the checkpoint `.*missing\.txt`: no such file/],
      [[f('cp.txt'), '--public-key', key, '--inclusion', f('cp.txt'), '--leaf', f('block.json')], /is not valid JSON/],
      [[f('cp.txt'), '--public-key', key, '--inclusion', f('block.json'), '--leaf', f('block.json')], /not an inclusion proof/],
    ];
    for (const [args, expected] of cases) {
      const r = await kee(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toMatch(expected);
      expect(r.out).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
