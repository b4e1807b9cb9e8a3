/**
 * Kee's audit artifacts checked by third-party Go code that shares nothing with the kernel:
 * golang.org/x/mod/sumdb/note for the signed checkpoints, transparency-dev/merkle for every
 * RFC 9162 inclusion and consistency proof, gowebpki/jcs for RFC 8785 and crypto/ed25519 for
 * the block signatures (test/thirdparty/go/main.go). A kernel that agreed only with itself
 * about hashing, canonical JSON or note signatures would fail here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentRead, classifyGold, makeHarness, type Harness } from './support/harness.ts';

const GO = ['go', '/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find((g) => spawnSync(g, ['version']).status === 0);
const bin = join(mkdtempSync(join(tmpdir(), 'kee-go-')), 'keeverify');

beforeAll(() => {
  if (!GO) throw new Error('the Go toolchain is needed for the third-party verifier test (go on PATH or /usr/local/go/bin/go)');
  execFileSync(GO, ['build', '-o', bin, '.'], { cwd: 'test/thirdparty/go', stdio: 'pipe', env: { ...process.env, GOFLAGS: '-mod=readonly' } });
}, 300_000);

async function session(h: Harness, agent: string, decisions: number) {
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: agent });
  for (let i = 0; i < decisions; i++) await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, i % 2 ? classifyGold(i % 3 === 0) : agentRead(agent));
  const closed = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
  expect(closed.status).toBe(200);
}

/** Fetches everything keeverify reads into a fresh directory; returns it and the kernel key. */
async function artifacts(): Promise<{ dir: string; key: string }> {
  const h = makeHarness();
  // agent ids outside ASCII and of many lengths: JCS escaping and proof shapes both vary
  await session(h, 'agent-α', 1);
  await session(h, 'agent-😀', 4);
  const old = await h.call('GET', '/v1/audit/checkpoint');
  for (let i = 0; i < 5; i++) await session(h, `agent-${'x'.repeat(i)}\u00e9`, i + 2);
  const now = await h.call('GET', '/v1/audit/checkpoint');
  const dir = mkdtempSync(join(tmpdir(), 'kee-go-artifacts-'));
  const size = Number(now.text.split('\n')[1]);
  const oldSize = Number(old.text.split('\n')[1]);
  expect(size).toBeGreaterThan(oldSize);
  writeFileSync(join(dir, 'checkpoint.txt'), now.text);
  writeFileSync(join(dir, 'old-checkpoint.txt'), old.text);
  writeFileSync(join(dir, 'consistency.json'), (await h.call('GET', `/v1/audit/proofs/consistency?from=${oldSize}&to=${size}`)).text);
  for (let i = 0; i < size; i++) {
    const entry = await h.call('GET', `/v1/audit/log/entries/${i}`);
    expect(entry.status).toBe(200);
    writeFileSync(join(dir, `block-${i}.json`), entry.text);
    writeFileSync(join(dir, `inclusion-${i}.json`), (await h.call('GET', `/v1/audit/proofs/inclusion?index=${i}&size=${size}`)).text);
    writeFileSync(join(dir, `package-${i}.json`), (await h.call('GET', `/v1/audit/blocks/${entry.json.block_id}/package`)).text);
  }
  return { dir, key: h.kernel.publicKey().public_key };
}

function verify(dir: string, key: string) {
  const r = spawnSync(bin, [dir, key], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Copies `dir` with one file changed by `edit`. */
function tampered(dir: string, file: string, edit: (text: string) => string): string {
  const copy = mkdtempSync(join(tmpdir(), 'kee-go-tampered-'));
  execFileSync('cp', ['-r', `${dir}/.`, copy]);
  const before = readFileSync(join(copy, file), 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(join(copy, file), after);
  return copy;
}

describe('third-party Go verifiers (sumdb/note, transparency-dev/merkle, gowebpki/jcs, crypto/ed25519)', () => {
  let a: { dir: string; key: string };
  beforeAll(async () => {
    a = await artifacts();
  });

  it('accept the checkpoints, the consistency proof, every block inclusion proof and every audit package', () => {
    expect(existsSync(join(a.dir, 'package-0.json'))).toBe(true);
    const r = verify(a.dir, a.key);
    expect(r.out).toMatch(/^OK \d+ blocks, \d+ records/);
    expect(r.status).toBe(0);
  });

  it('reject a checkpoint signed by another key', () => {
    const r = verify(a.dir, '11'.repeat(32));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^FAIL checkpoint\.txt/);
  });

  it('reject a changed checkpoint size, a changed consistency proof, a changed block and a changed record', () => {
    const cases: [string, (t: string) => string, RegExp][] = [
      ['checkpoint.txt', (t) => t.replace(/\n(\d+)\n/, (_m, n) => `\n${Number(n) + 1}\n`), /^FAIL checkpoint\.txt/],
      ['consistency.json', (t) => t.replace(/"proof":\["(.)/, (_m, c) => `"proof":["${c === '0' ? '1' : '0'}`), /^FAIL consistency\.json/],
      ['block-1.json', (t) => t.replace(/"record_count":(\d+)/, (_m, n) => `"record_count":${Number(n) + 1}`), /^FAIL inclusion-1\.json/],
      ['package-1.json', (t) => t.replace('"agent-😀"', '"agent-😁"'), /^FAIL package-1\.json record \d+/],
    ];
    for (const [file, edit, expected] of cases) {
      const r = verify(tampered(a.dir, file, edit), a.key);
      expect(r.out, file).toMatch(expected);
      expect(r.status, file).toBe(1);
    }
  });
});
