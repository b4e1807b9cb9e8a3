import type { StoredRecord } from '../../ports/storage.ts';

/**
 * The order a batch's rows are inserted in: session_id, then ale_seq. Records of one session
 * must go in in ale_seq order (the insert trigger accepts only the head's + 1), and in session
 * order the triggers' updates walk forward through audit_heads instead of seeking a different
 * leaf for every row. (UTF-16 order, which is SQLite's byte order for the ASCII ids the kernel
 * makes; for any other id it is only a less good hint.) Which rows commit is unchanged: one
 * transaction holds them all.
 */
export function byKey(a: StoredRecord, b: StoredRecord): number {
  if (a.sessionId !== b.sessionId) return a.sessionId < b.sessionId ? -1 : 1;
  return a.aleSeq - b.aleSeq;
}

/** The bound values of an audit_records INSERT row, `(session_id, ale_seq, ale_type, canonical, hash)`, written at row `row` of `args`. */
export function putRow(args: (string | number)[], row: number, r: StoredRecord): void {
  const at = 5 * row;
  args[at] = r.sessionId;
  args[at + 1] = r.aleSeq;
  args[at + 2] = r.aleType;
  args[at + 3] = r.canonical;
  args[at + 4] = r.hash;
}
