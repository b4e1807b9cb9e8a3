import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { openMainThreadLibsqlStore } from './main-thread.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-libsql-main-'));
let n = 0;
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
});
const open = async (file = `t${n++}.db`) => {
  const opened = await openMainThreadLibsqlStore(`file:${join(dir, file)}`);
  closers.push(opened.close);
  return opened.store;
};

runStorageContract('libsql on the main thread (embedded file, WAL, native writer)', () => open());

describe('libsql on the main thread', () => {
  it('has committed an append when it resolves: another connection reads it, and the file is in WAL mode', async () => {
    const store = await open('durable.db');
    const s = { session_id: 'm1', block_id: 'b'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-12-06T00:00:00.000Z' };
    const rec = (seq: number) => ({ sessionId: 'm1', aleSeq: seq, aleType: 'CEDAR_PERMIT', canonical: `{"ale_seq":${seq}}`, hash: String(seq).padStart(64, '0') });
    await store.createSession(s, rec(1));
    await store.appendRecords([rec(2), rec(3)], [{ sessionId: 'm1', status: 'CLOSING' }]);
    const other = new Database(join(dir, 'durable.db'));
    try {
      expect(other.prepare('SELECT ale_seq FROM audit_records WHERE session_id = ? ORDER BY ale_seq').all(['m1'])).toEqual([{ ale_seq: 1 }, { ale_seq: 2 }, { ale_seq: 3 }]);
      expect((other.prepare('SELECT status FROM sessions WHERE session_id = ?').get(['m1']) as { status: string }).status).toBe('CLOSING');
      expect((other.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    } finally {
      other.close();
    }
    expect((await store.getSession('m1'))?.status).toBe('CLOSING');
  });

  it('refuses a database that is not an embedded file', async () => {
    await expect(openMainThreadLibsqlStore('http://127.0.0.1:1')).rejects.toThrow(/embedded file/);
  });
});
