/**
 * Parallel NDJSON verification (`kee audit verify`, worker threads per chunk) against the
 * one-thread pass: for intact packages and for tamperings anywhere, including on both sides of
 * chunk boundaries, both give exactly the same verdict and name the same first failure.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyNdjson } from '../src/entry/verify-ndjson.ts';
import { writeBigPackage } from './support/big-package.ts';
import { wasmMerkle } from './support/wasm.ts';

const N = 3000;
const THREADS = 3;
const dir = mkdtempSync(join(tmpdir(), 'kee-verify-parallel-'));
const deps = { merkle: wasmMerkle(), verifier: ed25519Verifier };
const parallel = (f: string) => verifyNdjson(f, deps, { threads: THREADS, minParallelBytes: 0 });
const single = (f: string) => verifyNdjson(f, deps, { threads: 1 });

describe('parallel NDJSON verification', () => {
  const file = join(dir, 'pkg.ndjson');
  let lines: string[] = [];
  /** Line numbers (0-based, header = 0) that start each chunk after the first, as verifyNdjson cuts them. */
  let boundaries: number[] = [];
  beforeAll(async () => {
    await writeBigPackage(file, N);
    const text = readFileSync(file, 'utf8');
    lines = text.split('\n');
    const size = Buffer.byteLength(text);
    const headerEnd = Buffer.byteLength(lines[0] as string) + 1;
    let at = 0;
    const starts = lines.map((l) => ((at += Buffer.byteLength(l) + 1), at - Buffer.byteLength(l) - 1));
    for (let k = 1; k < THREADS; k++) {
      const cut = headerEnd + Math.floor((k * (size - headerEnd)) / THREADS);
      boundaries.push(starts.findIndex((s) => s >= cut));
    }
  }, 60_000);
  const variant = (name: string, edit: (ls: string[]) => string[]) => {
    const f = join(dir, `${name}.ndjson`);
    writeFileSync(f, edit(lines.slice()).join('\n'));
    return f;
  };
  const flip = (line: string, at: number) => {
    const c = line[at] as string;
    const d = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'a' ? 'b' : 'a';
    return line.slice(0, at) + d + line.slice(at + 1);
  };

  it('accepts an intact package exactly as the one-thread pass does, blank lines at a chunk boundary included', async () => {
    expect(boundaries.every((b) => b > 1 && b < N)).toBe(true);
    const p = await parallel(file);
    expect(p).toEqual({ ok: true, block_id: expect.any(String), records: N });
    expect(p).toEqual(await single(file));
    const blanks = variant('blank', (ls) => (ls.splice(boundaries[0] as number, 0, '', '  ', '\r'), ls));
    expect(await parallel(blanks)).toEqual(p);
  });

  it('names the same first failure for tamperings on both sides of every chunk boundary', async () => {
    const cases: [string, (ls: string[]) => string[]][] = [];
    for (const [k, b] of boundaries.entries()) {
      for (const at of [b - 1, b]) {
        cases.push([`field-${k}-${at}`, (ls) => ((ls[at] = (ls[at] as string).replace('"decision":"PERMIT"', '"decision":"DENY"')), ls)]);
        cases.push([`prev-${k}-${at}`, (ls) => ((ls[at] = (ls[at] as string).replace(/"prev_span_hash":"(.)/, (_m, c) => `"prev_span_hash":"${c === '0' ? '1' : '0'}`)), ls)]);
        cases.push([`index-${k}-${at}`, (ls) => ((ls[at] = (ls[at] as string).replace(/^\{"leaf_index":\d+/, `{"leaf_index":${at + 7}`)), ls)]);
      }
      cases.push([`deleted-${k}`, (ls) => (ls.splice(b, 1), ls)]);
      cases.push([`deleted-before-${k}`, (ls) => (ls.splice(b - 1, 1), ls)]);
      cases.push([`swapped-${k}`, (ls) => ([ls[b - 1], ls[b]] = [ls[b] as string, ls[b - 1] as string], ls)]);
      cases.push([`duplicated-${k}`, (ls) => (ls.splice(b, 0, ls[b - 1] as string), ls)]);
      cases.push([`garbled-${k}`, (ls) => ((ls[b] = (ls[b] as string).slice(0, 30)), ls)]);
    }
    cases.push(['two-failures', (ls) => ((ls[(boundaries[1] as number) + 5] = ''), (ls[10] = flip(ls[10] as string, 60)), ls)]);
    cases.push(['truncated', (ls) => ls.slice(0, N - 3)]);
    cases.push(['extra', (ls) => [...ls.slice(0, N + 1), ls[N] as string]]);
    cases.push(['cut-mid-line', (ls) => [...ls.slice(0, N), (ls[N] as string).slice(0, 100)]]);
    // random single-byte changes anywhere in the records (seeded)
    let seed = 20261122;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let t = 0; t < 6; t++) {
      const at = 1 + rand(N);
      const col = rand((lines[at] as string).length);
      cases.push([`random-${t}-${at}-${col}`, (ls) => ((ls[at] = flip(ls[at] as string, col)), ls)]);
    }
    for (const [name, edit] of cases) {
      const f = variant(name, edit);
      const p = await parallel(f);
      expect(p.ok, name).toBe(false);
      expect(p, name).toEqual(await single(f));
    }
  }, 300_000);
});
