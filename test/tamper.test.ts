/**
 * Tamper evidence (issue 3): thousands of random single modifications of stored audit data
 * (in a real libSQL file) and of audit package files; every one must be rejected, naming the
 * place. No false accept.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@libsql/client';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import type { KernelDeps } from '../src/kernel/deps.ts';
import { isDomainError } from '../src/kernel/errors.ts';
import { agentRead, classifyGold, makeHarness } from './support/harness.ts';
import { wasmMerkle } from './support/wasm.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-tamper-'));
const golden = join(dir, 'golden.db');

/** Builds a store with three closed blocks (4, 7 and 12 records); returns their ids. */
async function buildGolden(): Promise<{ blocks: string[]; pkgs: any[] }> {
  const client = createLibsqlClient(`file:${golden}`);
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
        const client = createLibsqlClient(`file:${file}`);
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

/** A kernel over the libSQL file `file` (a restart when the file exists); close the client when done. */
async function kernelOn(file: string, deps: Partial<KernelDeps> = {}) {
  const client = createLibsqlClient(`file:${file}`);
  const h = makeHarness({ store: await openLibsqlStore(client, { embedded: true }), deps });
  await h.started;
  return { client, h };
}

/** Opens a session, decides once (a PERMIT in NORMAL) and closes it unless `close` is false. */
async function session(h: ReturnType<typeof makeHarness>, close = true) {
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'agent' });
  const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
  if (close) expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
  return { ...(s as { session_id: string; block_id: string }), decision: d.json.decision as string };
}

/** The kernel journal's KERNEL_AUDIT_ANOMALY records of `eventType`. */
async function anomalies(db: Client, eventType: string): Promise<Record<string, unknown>[]> {
  const rows = (await db.execute("SELECT r.canonical FROM audit_records r JOIN sessions s ON s.session_id = r.session_id WHERE s.agent_id = 'kee-kernel' ORDER BY r.rowid")).rows;
  return rows.map((r) => JSON.parse(r.canonical as string) as Record<string, unknown>).filter((r) => r.ale_type === 'KERNEL_AUDIT_ANOMALY' && r.event_type === eventType);
}

const lockOf = (body: string) => {
  const { manifest_signature: _s, ...rest } = JSON.parse(body) as Record<string, unknown>;
  return Buffer.from(wasmMerkle().sha256(new TextEncoder().encode(wasmMerkle().canonicalize(rest)))).toString('hex');
};

describe('tamperings that went unseen (issue 12)', () => {
  it('a rewritten block log entry below the last signed checkpoint: no new checkpoint is signed, AUDIT_TAMPERED, journaled (property)', async () => {
    const base = join(dir, 'log-golden.db');
    const { client, h } = await kernelOn(base);
    for (let i = 0; i < 5; i++) await session(h);
    const signed = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
    expect(signed.json.size).toBe(5);
    await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    client.close();
    let trial = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.boolean(), async (idx, seed, restart) => {
        const file = join(dir, `log${trial++}.db`);
        copyFileSync(base, file);
        let k = await kernelOn(file);
        const row = (await k.client.execute({ sql: 'SELECT leaf_hash FROM block_log WHERE idx = ?', args: [idx] })).rows[0];
        let x = seed;
        await k.client.execute({ sql: 'UPDATE block_log SET leaf_hash = ? WHERE idx = ?', args: [flipHex(row?.leaf_hash as string, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)), idx] });
        await session(k.h); // the log grows past the signed checkpoint
        if (restart) {
          k.client.close();
          k = await kernelOn(file);
        }
        const r = await k.h.call('GET', '/v1/audit/checkpoint');
        expect(r.status, `leaf ${idx} rewritten`).toBe(409);
        expect(r.json.code).toBe('AUDIT_TAMPERED');
        expect(r.json.detail).toContain('not consistent with the checkpoint signed at size 5');
        const stored = (await k.client.execute("SELECT seq FROM documents WHERE kind = 'block_log_checkpoint'")).rows.map((d) => d.seq);
        expect(stored).toEqual([5]); // nothing signed over the rewritten log
        expect(await anomalies(k.client, 'BLOCK_LOG_INCONSISTENT')).toHaveLength(1);
        k.client.close();
      }),
      { numRuns: 12, seed: 9162 },
    );
  }, 120_000);

  it('a log cut below, or a rewritten stored checkpoint, is refused too; an intact log keeps growing under new checkpoints', async () => {
    const file = join(dir, 'log-cut.db');
    const { client, h } = await kernelOn(file);
    for (let i = 0; i < 3; i++) await session(h);
    const first = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
    expect(first.status).toBe(200);
    await session(h);
    const grown = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
    expect(grown.json.size).toBe(4); // consistent growth: signed
    // the stored checkpoint's root (in its fields and its note) rewritten, as a rewritten log would need: the signature fails
    await client.execute({ sql: "UPDATE documents SET body = replace(body, ?, ?) WHERE kind = 'block_log_checkpoint' AND seq = 4", args: [grown.json.root, first.json.root] });
    await session(h);
    const forged = await h.call('GET', '/v1/audit/checkpoint');
    expect(forged.status).toBe(409);
    expect(forged.json.detail).toContain('the checkpoint signed at size 4 does not verify');
    // the last leaf removed: the log is shorter than what was signed
    await client.execute("DELETE FROM documents WHERE kind = 'block_log_checkpoint' AND seq = 4");
    await client.execute('DELETE FROM block_log WHERE idx >= 2');
    const cut = await h.call('GET', '/v1/audit/checkpoint');
    expect(cut.status).toBe(409);
    expect(cut.json.detail).toContain('fewer than the 3 of the checkpoint signed before');
    client.close();
  });

  it('re-closing a tampered session answers 409 like every read, not the old signed header', async () => {
    const { client, h } = await kernelOn(join(dir, 'reclose.db'));
    const s = await session(h);
    await session(h);
    const [rec] = (await records(client, s.block_id)).slice(1, 2);
    await client.execute({ sql: 'UPDATE audit_records SET canonical = ? WHERE session_id = ? AND ale_seq = ?', args: [rec!.canonical.replace('"PERMIT"', '"DENY"'), rec!.session_id, rec!.ale_seq] });
    expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status).toBe(409);
    const again = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('AUDIT_TAMPERED');
    expect(again.json.detail).toContain('record 1');
    client.close();
  });

  it('deleting the stored manifests does not clear a failure: a store with audit records and no manifest starts in MANIFEST_INTEGRITY_FAILURE', async () => {
    const file = join(dir, 'no-manifest.db');
    let k = await kernelOn(file);
    const s = await session(k.h);
    // every session names the manifest epoch it was made under
    const manifest = (await k.h.call('GET', '/v1/manifest')).text;
    const [open] = await records(k.client, s.block_id);
    expect(JSON.parse(open!.canonical)).toMatchObject({ ale_type: 'SESSION_OPEN', manifest_hash: lockOf(manifest) });
    // fail the manifest, then delete every manifest row to clear it
    await k.client.execute(`UPDATE documents SET body = replace(body, '"hardware_backed":false', '"hardware_backed":true') WHERE kind = 'gec_manifest'`);
    k.client.close();
    k = await kernelOn(file);
    expect((await k.h.call('GET', '/healthz')).json.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    await k.client.execute("DELETE FROM documents WHERE kind = 'gec_manifest'");
    k.client.close();
    k = await kernelOn(file);
    const health = (await k.h.call('GET', '/healthz')).json;
    expect(health.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    expect(health.conditions[0].reason).toContain('holds a block log but no GEC Manifest');
    expect((await k.h.call('GET', '/v1/manifest')).status).toBe(503);
    expect((await k.client.execute("SELECT count(*) AS n FROM documents WHERE kind = 'gec_manifest'")).rows[0]?.n).toBe(0); // nothing issued
    expect((await session(k.h, false)).decision).toBe('DENY');
    k.client.close();
  });

  it('deleting the latest manifest epochs: sessions made under them name a manifest the chain does not hold (409, fail-closed)', async () => {
    const file = join(dir, 'cut-chain.db');
    let k = await kernelOn(file); // epoch 1
    k.client.close();
    k = await kernelOn(file); // epoch 2
    const s = await session(k.h);
    k.client.close();
    const { client } = await kernelOn(file); // epoch 3
    await client.execute("DELETE FROM documents WHERE kind = 'gec_manifest' AND seq >= 2");
    client.close();
    k = await kernelOn(file);
    // the newest block was made under a deleted epoch: the start notices
    const health = (await k.h.call('GET', '/healthz')).json;
    expect(health.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    expect(health.conditions[0].reason).toContain(`the newest Session Block \`${s.block_id}\` was made under manifest`);
    expect((await session(k.h, false)).decision).toBe('DENY');
    const read = await k.h.call('GET', `/v1/audit/blocks/${s.block_id}`);
    expect(read.status).toBe(409);
    expect(read.json.detail).toContain('which the stored manifest chain does not hold');
    k.client.close();
  });

  it('a newest block under an epoch stored after the start read the chain (another instance): the chain is read on, no failure', async () => {
    const file = join(dir, 'late-epoch.db');
    let k = await kernelOn(file); // epoch 1
    k.client.close();
    k = await kernelOn(file); // epoch 2
    await session(k.h); // its block is made under epoch 2
    k.client.close();
    // the start's first read of the chain sees epoch 1 only, as if epoch 2 were stored just after it
    const client = createLibsqlClient(`file:${file}`);
    const store = await openLibsqlStore(client, { embedded: true });
    let stale = true;
    const staleStore = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'latestDocument') {
          return async (kind: string) => {
            if (kind !== 'gec_manifest' || !stale) return target.latestDocument(kind);
            stale = false;
            return target.getDocument(kind, 1);
          };
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const h = makeHarness({ store: staleStore });
    await h.started;
    expect(stale).toBe(false);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    expect((await session(h)).decision).toBe('PERMIT');
    client.close();
  });

  it('deleting the latest manifest epochs under an older block: the block read names it (409) and the kernel fails closed', async () => {
    const file = join(dir, 'cut-chain-old.db');
    let k = await kernelOn(file); // epoch 1
    const t = await session(k.h, false); // opened under epoch 1, closed last
    k.client.close();
    k = await kernelOn(file); // epoch 2
    const s = await session(k.h);
    expect((await k.h.call('POST', `/v1/sessions/${t.session_id}/close`)).status).toBe(200);
    k.client.close();
    const c = createLibsqlClient(`file:${file}`);
    await c.execute("DELETE FROM documents WHERE kind = 'gec_manifest' AND seq >= 2");
    c.close();
    // the newest block was made under epoch 1, which is intact: the start re-issues epoch 2
    k = await kernelOn(file);
    expect((await k.h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    expect((await k.h.call('GET', `/v1/audit/blocks/${t.block_id}`)).status).toBe(200);
    const read = await k.h.call('GET', `/v1/audit/blocks/${s.block_id}`);
    expect(read.status).toBe(409);
    expect(read.json.detail).toContain('which the stored manifest chain does not hold');
    expect((await k.h.call('GET', '/healthz')).json.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    expect(await anomalies(k.client, 'AUDIT_READ_VERIFICATION_FAILED')).toEqual([expect.objectContaining({ failure_kind: 'manifest', tampered_block_id: s.block_id })]);
    k.client.close();
  });

  for (const [name, tamper, reason] of [
    ['a field of an earlier epoch changed', `UPDATE documents SET body = replace(body, '"hardware_backed":false', '"hardware_backed":true') WHERE kind = 'gec_manifest' AND seq = 1`, 'stored manifest of epoch 1 failed verification at start'],
    ['an earlier epoch deleted', "DELETE FROM documents WHERE kind = 'gec_manifest' AND seq = 2", 'stored manifest of epoch 2 is missing'],
  ] as const) {
    it(`the stored manifest chain is verified at start, before serving (${name}): the very first decision is DENY`, async () => {
      const file = join(dir, `start-${name.length}.db`);
      for (let epoch = 1; epoch <= 3; epoch++) {
        const k = await kernelOn(file);
        if (epoch === 3) expect((await session(k.h)).decision).toBe('PERMIT');
        k.client.close();
      }
      const c = createLibsqlClient(`file:${file}`);
      await c.execute(tamper);
      c.close();
      const { client, h } = await kernelOn(file);
      const health = (await h.call('GET', '/healthz')).json;
      expect(health.state).toBe('MANIFEST_INTEGRITY_FAILURE');
      expect(health.conditions[0].reason).toContain(reason);
      const first = await session(h, false);
      expect(first.decision).toBe('DENY');
      expect((await h.call('POST', `/v1/sessions/${first.session_id}/close`)).status).toBe(503);
      expect(await anomalies(client, 'MANIFEST_INTEGRITY_FAILURE')).toHaveLength(1);
      client.close();
    });
  }

  it('a stored manifest edited while the kernel runs is caught by the decision path, without waiting for a manifest read', async () => {
    const { client, h } = await kernelOn(join(dir, 'live-edit.db'), { options: { manifestRecheckMs: 0 } });
    const s = await session(h, false);
    expect(s.decision).toBe('PERMIT');
    await client.execute(`UPDATE documents SET body = replace(body, '"hardware_backed":false', '"hardware_backed":true') WHERE kind = 'gec_manifest'`);
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(r.json.decision).toBe('DENY');
    expect(r.json.reasons.join(' ')).toContain('MANIFEST_INTEGRITY_FAILURE');
    expect((await h.call('GET', '/healthz')).json.conditions[0].reason).toContain('stored manifest of epoch 1 differs');
    client.close();
  });
});
