import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import type { StoredDocument } from '../../ports/storage.ts';
import { DOCUMENT_PAGE, documentRange } from './read-range.ts';

const doc = (seq: number): StoredDocument => ({ kind: 'k', seq, docId: `d${seq}`, body: `{"n":${seq}}`, createdAt: '2026-01-01T00:00:00.000Z' });

async function read(store: MemoryStore, from: number) {
  const latest = await store.latestDocument('k');
  if (!latest) return { seen: [], queries: 0 };
  let queries = 0;
  const io = <T>(op: () => Promise<T>) => {
    queries++;
    return op();
  };
  const seen: { seq: number; docId: string | null }[] = [];
  for await (const { seq, doc: d } of documentRange({ store, io }, 'k', from, latest)) seen.push({ seq, docId: d?.docId ?? null });
  return { seen, queries };
}

describe('documentRange: a kind replayed a page per query', () => {
  it('reads every document in seq order across pages, in one query per page', async () => {
    const store = new MemoryStore();
    const n = DOCUMENT_PAGE * 2 + 3;
    for (let s = 1; s <= n; s++) await store.putDocument(doc(s));
    const { seen, queries } = await read(store, 1);
    expect(seen.map((x) => x.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(seen.every((x) => x.docId === `d${x.seq}`)).toBe(true);
    expect(queries).toBe(3);
    // brought up to date from the latest only: no list query at all
    expect(await read(store, n)).toEqual({ seen: [{ seq: n, docId: `d${n}` }], queries: 0 });
  });

  it('names a missing sequence number (null), also at a page boundary', async () => {
    const store = new MemoryStore();
    const missing = new Set([5, DOCUMENT_PAGE + 1]);
    for (let s = 1; s <= DOCUMENT_PAGE + 10; s++) if (!missing.has(s)) await store.putDocument(doc(s));
    const { seen } = await read(store, 1);
    expect(seen.filter((x) => x.docId === null).map((x) => x.seq)).toEqual([5, DOCUMENT_PAGE + 1]);
    expect(seen.length).toBe(DOCUMENT_PAGE + 10);
  });
});
