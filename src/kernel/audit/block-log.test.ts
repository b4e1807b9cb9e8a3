/**
 * The block log as a transparency log: inclusion proofs (by index or block id, at any size),
 * entries by index, `log_index` on the close answer and the hex root of the JSON checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { JsMerkle } from '../../adapters/memory/js-merkle.ts';
import { agentRead, makeHarness, type Harness } from '../../../test/support/harness.ts';
import { fromHex, toHex } from '../hex.ts';

const js = new JsMerkle();
const utf8 = new TextEncoder();

async function closeBlocks(h: Harness, n: number) {
  const blocks: any[] = [];
  for (let i = 0; i < n; i++) {
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `a${i}` });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    const closed = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(closed.status).toBe(200);
    blocks.push(closed.json);
  }
  return blocks;
}

/** The stored block: the close answer without the added `log_index`. */
const stored = ({ log_index: _i, ...block }: any) => block;

describe('block log: inclusion proofs, entries, log_index, hex checkpoint root', () => {
  it('answers the close with log_index (not in the signed block), the same as the block read', async () => {
    const h = makeHarness();
    const blocks = await closeBlocks(h, 3);
    blocks.forEach((b, i) => expect(b.log_index).toBe(i));
    const again = await h.call('POST', `/v1/sessions/${blocks[1].session_id}/close`);
    expect(again.json).toEqual(blocks[1]);
    const read = await h.call('GET', `/v1/audit/blocks/${blocks[2].block_id}`);
    expect(read.json).toEqual(blocks[2]);
    const pkg = await h.call('GET', `/v1/audit/blocks/${blocks[2].block_id}/package`);
    expect(pkg.json.block).toEqual(stored(blocks[2]));
    expect(pkg.json.block.log_index).toBeUndefined();
  });

  it('gives the checkpoint root in hex in the JSON form, next to the base64 root of the note', async () => {
    const h = makeHarness();
    await closeBlocks(h, 2);
    const cp = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
    expect(Object.keys(cp.json).sort()).toEqual(['note', 'origin', 'root', 'root_hex', 'size']);
    expect(cp.json.root_hex).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(cp.json.root, 'base64').toString('hex')).toBe(cp.json.root_hex);
    const proof = await h.call('GET', '/v1/audit/proofs/consistency?from=1&to=2');
    expect(proof.json.to_root).toBe(cp.json.root_hex);
  });

  it('proves every block included at every size, by index or block id, against the checkpoint root at that size', async () => {
    const h = makeHarness();
    const blocks = await closeBlocks(h, 7);
    const leafData = blocks.map((b) => utf8.encode(js.canonicalize(stored(b))));
    for (let size = 1; size <= 7; size++) {
      const root = toHex(js.root(leafData.slice(0, size)));
      for (let i = 0; i < size; i++) {
        const byIndex = await h.call('GET', `/v1/audit/proofs/inclusion?index=${i}&size=${size}`);
        expect(byIndex.status).toBe(200);
        const p = byIndex.json;
        expect(p).toEqual({ leaf_index: i, tree_size: size, block_id: blocks[i].block_id, leaf_hash: toHex(js.root([leafData[i]!])), root, audit_path: p.audit_path });
        expect(js.verifyInclusion(leafData[i]!, i, size, p.audit_path.map((x: string) => fromHex(x)!), fromHex(root)!)).toBe(true);
        const byId = await h.call('GET', `/v1/audit/proofs/inclusion?block_id=${blocks[i].block_id}&size=${size}`);
        expect(byId.json).toEqual(p);
      }
    }
    // without size: the whole log, the size of the current checkpoint
    const cp = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
    const latest = await h.call('GET', `/v1/audit/proofs/inclusion?block_id=${blocks[3].block_id}`);
    expect(latest.json.tree_size).toBe(cp.json.size);
    expect(latest.json.root).toBe(cp.json.root_hex);
  });

  it('refuses impossible inclusion queries with 400 or 404, never 500', async () => {
    const h = makeHarness();
    const [b] = await closeBlocks(h, 3);
    const cases: [string, number, string][] = [
      ['index=0&size=4', 400, 'INVALID_INPUT'],
      ['index=3&size=3', 400, 'INVALID_INPUT'],
      ['index=2&size=2', 400, 'INVALID_INPUT'],
      ['index=0&size=0', 400, 'INVALID_INPUT'],
      ['index=-1', 400, 'INVALID_INPUT'],
      ['index=x', 400, 'INVALID_INPUT'],
      ['size=2', 400, 'INVALID_INPUT'],
      [`index=0&block_id=${b.block_id}`, 400, 'INVALID_INPUT'],
      [`block_id=${'0'.repeat(31)}1`, 404, 'BLOCK_NOT_FOUND'],
      ['block_id=nope', 404, 'BLOCK_NOT_FOUND'],
    ];
    for (const [q, status, code] of cases) {
      const r = await h.call('GET', `/v1/audit/proofs/inclusion?${q}`);
      expect(r.status, q).toBe(status);
      expect(r.json.code, q).toBe(code);
    }
    const empty = makeHarness();
    expect((await empty.call('GET', '/v1/audit/proofs/inclusion?index=0')).status).toBe(400);
  });

  it('serves each block-log entry by index, and 404 past the end', async () => {
    const h = makeHarness();
    const blocks = await closeBlocks(h, 3);
    for (const [i, b] of blocks.entries()) {
      const e = await h.call('GET', `/v1/audit/log/entries/${i}`);
      expect(e.status).toBe(200);
      expect(e.json).toEqual({ index: i, leaf_hash: toHex(js.root([utf8.encode(js.canonicalize(stored(b)))])), block_id: b.block_id, block: stored(b) });
      const p = await h.call('GET', `/v1/audit/proofs/inclusion?index=${i}`);
      expect(p.json.leaf_hash).toBe(e.json.leaf_hash);
    }
    for (const [path, status, code] of [['3', 404, 'NOT_FOUND'], ['-1', 400, 'INVALID_INPUT'], ['1e3', 400, 'INVALID_INPUT'], ['9999999999999999', 400, 'INVALID_INPUT']] as const) {
      const r = await h.call('GET', `/v1/audit/log/entries/${path}`);
      expect(r.status, path).toBe(status);
      expect(r.json.code, path).toBe(code);
    }
  });

  it('answers 409 AUDIT_TAMPERED, never the entry, when the stored block no longer hashes to its leaf', async () => {
    const h = makeHarness();
    const blocks = await closeBlocks(h, 2);
    h.store.rawLogLeaf(1)!.leafHash = 'ab'.repeat(32);
    const r = await h.call('GET', '/v1/audit/log/entries/1');
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('AUDIT_TAMPERED');
    expect(r.json.detail).toContain(`block \`${blocks[1].block_id}\` hashes to`);
    expect((await h.call('GET', '/v1/audit/log/entries/0')).status).toBe(200);
    // a block whose records were altered is refused by the same read verification as GET …/blocks/{id}
    const rec = h.store.rawRecords(blocks[0].session_id)[1]!;
    rec.canonical = rec.canonical.replace('PERMIT', 'DENY');
    expect((await h.call('GET', '/v1/audit/log/entries/0')).json.code).toBe('AUDIT_TAMPERED');
  });
});
