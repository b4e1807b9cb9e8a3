import type { StoredRecord } from '../../ports/storage.ts';

/**
 * Primary-key order of audit_records: session_id, then ale_seq. (UTF-16 order, which is SQLite's
 * byte order for the ASCII ids the kernel makes; for any other id it is only a less good hint.)
 *
 * A batch holds records of many sessions, interleaved, and each one lands at its session's end
 * of the (session_id, ale_seq) index. In key order the B-tree cursor moves forward through the
 * index instead of seeking a different leaf for every row. Which rows commit is unchanged: one
 * transaction holds them all.
 */
export function byKey(a: StoredRecord, b: StoredRecord): number {
  if (a.sessionId !== b.sessionId) return a.sessionId < b.sessionId ? -1 : 1;
  return a.aleSeq - b.aleSeq;
}
