import type { AuditStore, StoredDocument } from '../../ports/storage.ts';

/** Documents read per query when a kind's log is replayed. */
export const DOCUMENT_PAGE = 256;

type Reader = {
  store: Pick<AuditStore, 'listDocuments'>;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
};

/**
 * The documents of `kind` with `from <= seq <= latest.seq`, in `seq` order, read a page per
 * query (a cold start replays whole logs: one round trip per page, not per document). Yields
 * `doc: null` for a sequence number the store does not hold, so the caller names the gap;
 * `latest` (already read) stands for its own sequence number. `first`, when given, is the page
 * from `from` read beforehand (e.g. together with `latest`).
 */
export async function* documentRange(
  r: Reader,
  kind: string,
  from: number,
  latest: StoredDocument,
  first?: StoredDocument[],
): AsyncGenerator<{ seq: number; doc: StoredDocument | null }> {
  let page = first ?? null;
  let at = 0;
  for (let seq = from; seq <= latest.seq; seq++) {
    if (seq === latest.seq) {
      yield { seq, doc: latest };
      return;
    }
    if (page === null || (at === page.length && page.length === DOCUMENT_PAGE)) {
      const next = seq;
      page = await r.io(() => r.store.listDocuments(kind, next, DOCUMENT_PAGE), false);
      at = 0;
    }
    // skip anything below seq (never in a well-formed page)
    while (at < page.length && (page[at] as StoredDocument).seq < seq) at++;
    const listed = page[at];
    const held = listed?.seq === seq;
    if (held) at++;
    yield { seq, doc: held ? (listed as StoredDocument) : null };
  }
}
