/**
 * Tamper evidence (issue 3): thousands of random single modifications of stored audit data
 * (in a real libSQL file) and of audit package files; every one must be rejected, naming the
 * place. No false accept.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import { isDomainError } from '../src/kernel/errors.ts';
import { agentRead, classifyGold, makeHarness } from './support/harness.ts';
import { wasmMerkle } from './support/wasm.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-tamper-'));
const golden = join(dir, 'golden.db');

/** Builds a store with three closed blocks (4, 7 and 12 records); returns their ids. */
async function buildGolden(): Promise<{ blocks: string[]; pkgs: any[] }> {
  const client = createClient({ url: `file:${golden}` });
  const store = await openLibsqlStore(client, { embedded: true });
  const h = makeHarness({ store });
  const blocks: string[] = [];
  for (const n of [2, 5, 10]) {
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `agent-${n}` });
    for (let i = 0; i < n; i++) await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, i % 3 ? agentRead(`a${i}`) : classifyGold(i % 2 === 0));
    await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    blocks.push(s.block_id);
  }
  const pkgs = await Promise.all(blocks.map((b) => h.kernel.getPackage(b)));
  await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  client.close();
  return { blocks, pkgs: JSON.parse(JSON.stringify(pkgs)) };
}

type Mutation = { name: string; apply: (db: Client, rnd: () => number) => Promise<string | null> };

const pick = <T>(xs: T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)] as T;
const flipHex = (s: string, rnd: () => number) => {
  const i = Math.floor(rnd() * s.length);
  const c = s[i] === '0' ? '1' : '0';
  return s.slice(0, i) + c + s.slice(i + 1);
};
function mutateValue(v: unknown, rnd: () => number): unknown {
  if (typeof v === 'string') return /^[0-9a-f]+$/.test(v) && v.length > 0 ? flipHex(v, rnd) : `${v}x`;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 'x';
  if (Array.isArray(v)) return v.length > 0 ? v.slice(1) : ['x'];
  return { ...(v as object), injected: true };
}

const records = async (db: Client, block: string) =>
  (await db.execute({ sql: 'SELECT r.session_id, r.ale_seq, r.canonical, r.hash FROM audit_records r JOIN sessions s ON s.session_id = r.session_id WHERE s.block_id = ? ORDER BY r.ale_seq', args: [block] })).rows as unknown as { session_id: string; ale_seq: number; canonical: string; hash: string }[];

function mutations(block: string, merkle = wasmMerkle()): Mutation[] {
  const rehash = (c: string) => Buffer.from(merkle.sha256(new TextEncoder().encode(c))).toString('hex');
  const editField = (recomputeHash: boolean): Mutation['apply'] => async (db, rnd) => {
    const r = pick(await records(db, block), rnd);
    const obj = JSON.parse(r.canonical) as Record<string, unknown>;
    const key = pick(Object.keys(obj), rnd);
    obj[key] = mutateValue(obj[key], rnd);
    const canonical = merkle.canonicalize(obj);
    await db.execute({ sql: 'UPDATE audit_records SET canonical = ?, hash = ? WHERE session_id = ? AND ale_seq = ?', args: [canonical, recomputeHash ? rehash(canonical) : r.hash, r.session_id, r.ale_seq] });
    return `field ${key} of ale_seq ${r.ale_seq}`;
  };
  return [
    { name: 'a field of a record (stored hash left)', apply: editField(false) },
    { name: 'a field of a record (stored hash recomputed)', apply: editField(true) },
    {
      name: 'a byte of a stored record hash',
      apply: async (db, rnd) => {
        const r = pick(await records(db, block), rnd);
        await db.execute({ sql: 'UPDATE audit_records SET hash = ? WHERE session_id = ? AND ale_seq = ?', args: [flipHex(r.hash, rnd), r.session_id, r.ale_seq] });
        return `hash of ale_seq ${r.ale_seq}`;
      },
    },
    {
      name: 'a deleted record row',
      apply: async (db, rnd) => {
        const r = pick(await records(db, block), rnd);
        await db.execute({ sql: 'DELETE FROM audit_records WHERE session_id = ? AND ale_seq = ?', args: [r.session_id, r.ale_seq] });
        return `deleted ale_seq ${r.ale_seq}`;
      },
    },
    {
      name: 'two reordered record rows',
      apply: async (db, rnd) => {
        const rs = await records(db, block);
        const a = pick(rs, rnd);
        let b = pick(rs, rnd);
        while (b.ale_seq === a.ale_seq) b = pick(rs, rnd);
        await db.batch([
          { sql: 'UPDATE audit_records SET ale_seq = -1 WHERE session_id = ? AND ale_seq = ?', args: [a.session_id, a.ale_seq] },
          { sql: 'UPDATE audit_records SET ale_seq = ? WHERE session_id = ? AND ale_seq = ?', args: [a.ale_seq, b.session_id, b.ale_seq] },
          { sql: 'UPDATE audit_records SET ale_seq = ? WHERE session_id = ? AND ale_seq = -1', args: [b.ale_seq, a.session_id] },
        ]);
        return `swapped ale_seq ${a.ale_seq} and ${b.ale_seq}`;
      },
    },
    {
      name: 'a swapped block signature',
      apply: async (db, rnd) => {
        const other = pick((await db.execute({ sql: 'SELECT signature FROM session_blocks WHERE block_id != ?', args: [block] })).rows, rnd);
        await db.execute({ sql: 'UPDATE session_blocks SET signature = ? WHERE block_id = ?', args: [other?.signature as string, block] });
        return 'swapped signature';
      },
    },
    {
      name: 'a byte of a block header hash or signature',
      apply: async (db, rnd) => {
        const col = pick(['merkle_root', 'signature', 'public_key', 'key_id'], rnd);
        const row = (await db.execute({ sql: `SELECT ${col} AS v FROM session_blocks WHERE block_id = ?`, args: [block] })).rows[0];
        await db.execute({ sql: `UPDATE session_blocks SET ${col} = ? WHERE block_id = ?`, args: [flipHex(row?.v as string, rnd), block] });
        return `byte of ${col}`;
      },
    },
    {
      name: 'a block header field',
      apply: async (db, rnd) => {
        const col = pick(['block_close_timestamp', 'record_count'], rnd);
        const sql = col === 'record_count' ? 'UPDATE session_blocks SET record_count = record_count - 1 WHERE block_id = ?' : "UPDATE session_blocks SET block_close_timestamp = '2020-01-01T00:00:00.000Z' WHERE block_id = ?";
        await db.execute({ sql, args: [block] });
        return col;
      },
    },
  ];
}

describe('tamper evidence', () => {
  it('detects every random single modification of stored data on read, naming the place (property)', async () => {
    const { blocks } = await buildGolden();
    let trial = 0;
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 1, max: 2 ** 31 }), async (bi, mi, seed) => {
        const block = blocks[bi] as string;
        const file = join(dir, `t${trial++}.db`);
        copyFileSync(golden, file);
        const client = createClient({ url: `file:${file}` });
        const store = await openLibsqlStore(client, { embedded: true });
        const ms = mutations(block);
        const m = ms[mi % ms.length] as Mutation;
        let x = seed;
        const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const what = await m.apply(client, rnd);
        const h = makeHarness({ store });
        const err = await h.kernel.getPackage(block).catch((e: unknown) => e);
        client.close();
        expect(isDomainError(err, 'AUDIT_TAMPERED'), `${m.name}: ${what} was accepted`).toBe(true);
        // the report names the place: a record, the signature, the root or the count
        expect((err as Error).message, `${m.name}: ${what}`).toMatch(/record \d|signature|merkle_root|records|key/);
        // a deleted row is named exactly: the record found where it should be
        const deleted = /^deleted ale_seq (\d+)$/.exec(String(what));
        if (deleted) expect((err as Error).message, String(what)).toMatch(new RegExp(`expected \`${deleted[1]}\`|ale_seq ${deleted[1]} to \\d+ are missing`));
        seen.set(m.name, (seen.get(m.name) ?? 0) + 1);
      }),
      { numRuns: 400, seed: 20261122 },
    );
    expect(seen.size).toBe(8); // every kind of modification was tried
  }, 300_000);

  it('the offline verifier rejects every random single modification of a package, naming the place (property)', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    for (let i = 0; i < 9; i++) await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, i % 2 ? agentRead() : classifyGold(i % 4 === 0));
    await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    const { json: other } = await h.call('POST', '/v1/sessions', { agent_id: 'b' });
    await h.call('POST', `/v1/sessions/${other.session_id}/close`);
    const pkg = (await h.call('GET', `/v1/audit/blocks/${s.block_id}/package`)).json;
    const otherSig = (await h.call('GET', `/v1/audit/blocks/${other.block_id}`)).json.block_signature.signature as string;
    const deps = { merkle: h.merkle, verifier: ed25519Verifier };
    expect(verifyPackage(pkg, deps).ok).toBe(true);
    const n = pkg.records.length as number;

    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.nat(), fc.nat(), fc.nat(), (kind, a, b, c) => {
        const p = structuredClone(pkg);
        const i = a % n;
        let expected: RegExp;
        switch (kind) {
          case 0: {
            const rec = p.records[i].record;
            const key = Object.keys(rec)[b % Object.keys(rec).length] as string;
            rec[key] = mutateValue(rec[key], () => (c % 1000) / 1000);
            expected = new RegExp(`record ${i}|record ${i + 1}|leaf_index|ale_seq`);
            break;
          }
          case 1: {
            const proof = p.records[i].inclusion_proof as string[];
            if (proof.length === 0) return;
            const j = b % proof.length;
            proof[j] = flipHex(proof[j] as string, () => (c % 1000) / 1000);
            expected = new RegExp(`record ${i} `);
            break;
          }
          case 2:
            p.records.splice(i, 1);
            expected = /records|record \d/;
            break;
          case 3: {
            const j = (i + 1 + (b % (n - 1))) % n;
            [p.records[i], p.records[j]] = [p.records[j], p.records[i]];
            expected = /record \d/;
            break;
          }
          case 4:
            p.block.block_signature.signature = otherSig;
            expected = /signature/;
            break;
          case 5:
            p.block.merkle_root = flipHex(p.block.merkle_root, () => (c % 1000) / 1000);
            expected = /signature/;
            break;
          case 6:
            p.public_key.public_key = flipHex(p.public_key.public_key, () => (c % 1000) / 1000);
            expected = /key/;
            break;
          default:
            p.records[i].inclusion_proof = (p.records[i].inclusion_proof as string[]).slice(1);
            if (pkg.records[i].inclusion_proof.length === 0) return;
            expected = new RegExp(`record ${i} `);
        }
        const r = verifyPackage(p, deps);
        expect(r.ok, `kind ${kind} at ${i} accepted`).toBe(false);
        if (!r.ok) expect(r.failure.message).toMatch(expected);
      }),
      { numRuns: 3000, seed: 8785 },
    );
  });
});
