import { Hono } from 'hono';
import { AUDIT_PACKAGE_STREAM_FORMAT } from '../../kernel/audit/audit-package.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { fromBase64 } from '../../kernel/audit/checkpoint.ts';
import { toHex } from '../../kernel/hex.ts';
import { queryParam } from '../query.ts';
import { BLOCK_ID } from '../schemas.ts';

/** Audit reads: a block header, the offline-verifiable audit package, and the block log (checkpoint, proofs, entries). */
export function auditRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.get('/blocks/:block_id', async (c) => {
    const id = checkedBlockId(c.req.param('block_id'));
    const block = await kernel.getBlock(id);
    return c.json({ ...block, log_index: await kernel.blockLogIndex(id) });
  });
  app.get('/blocks/:block_id/package', async (c) => {
    const format = queryParam(c, 'format') ?? 'json';
    if (format !== 'json' && format !== 'ndjson') throw new DomainError('INVALID_INPUT', `format must be \`json\` or \`ndjson\`, got \`${format.slice(0, 32)}\``);
    const pkg = await kernel.getPackage(checkedBlockId(c.req.param('block_id')));
    if (format === 'json') return c.json(pkg);
    const header = JSON.stringify({ format: AUDIT_PACKAGE_STREAM_FORMAT, block: pkg.block, public_key: pkg.public_key });
    const enc = new TextEncoder();
    let i = -1;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (i === -1) ctrl.enqueue(enc.encode(`${header}\n`));
        else if (i < pkg.records.length) ctrl.enqueue(enc.encode(`${JSON.stringify(pkg.records[i])}\n`));
        else ctrl.close();
        i++;
      },
    });
    return c.body(body, 200, { 'content-type': 'application/x-ndjson' });
  });
  app.get('/checkpoint', async (c) => {
    const cp = await kernel.checkpoint();
    // the note's root is base64 (C2SP); proofs are hex, so the JSON form also gives the root in hex
    if ((c.req.header('accept') ?? '').includes('application/json')) return c.json({ ...cp, root_hex: toHex(fromBase64(cp.root) ?? new Uint8Array(0)) });
    return c.body(cp.note, 200, { 'content-type': 'text/plain; charset=utf-8' });
  });
  app.get('/proofs/consistency', async (c) => {
    const from = nat(queryParam(c, 'from'), 'from');
    const to = nat(queryParam(c, 'to'), 'to');
    return c.json(await kernel.consistency(from, to));
  });
  app.get('/proofs/inclusion', async (c) => {
    const index = queryParam(c, 'index');
    const blockId = queryParam(c, 'block_id');
    const size = queryParam(c, 'size');
    if ((index === undefined) === (blockId === undefined)) throw new DomainError('INVALID_INPUT', 'give exactly one of the query parameters `index` and `block_id`');
    const leaf = blockId === undefined ? { index: nat(index, 'index') } : { blockId: checkedBlockId(blockId) };
    return c.json(await kernel.inclusion(leaf, size === undefined ? undefined : nat(size, 'size')));
  });
  app.get('/log/entries/:index', async (c) => c.json(await kernel.logEntry(nat(c.req.param('index'), 'index'))));
  app.get('/journal', async (c) => {
    const fromText = queryParam(c, 'from');
    const from = fromText === undefined ? 1 : nat(fromText, 'from');
    const head = await kernel.journalHead();
    // blocks up to the last one before the open (or claimed) block: each has a package to fetch
    const blocks = (await kernel.journalBlocks(Math.max(1, from), JOURNAL_PAGE)).filter((b) => b.journal_seq <= head.last_journal_seq);
    return c.json({ ...head, blocks });
  });
  return app;
}

/** Journal blocks listed per `GET /v1/audit/journal` page. */
const JOURNAL_PAGE = 1000;

function nat(text: string | undefined, name: string): number {
  // up to 2^53 - 1, the document's `maximum`
  if (text === undefined || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new DomainError('INVALID_INPUT', `query parameter \`${name}\` must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(text);
}

function checkedBlockId(id: string): string {
  if (!BLOCK_ID.test(id)) throw new DomainError('BLOCK_NOT_FOUND', `no session block \`${id.slice(0, 64)}\``);
  return id;
}
