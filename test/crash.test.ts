/**
 * Crash test (issue 3): a writer under concurrent load is killed with SIGKILL at random
 * moments; after each kill, every acknowledged append is present, no record is half-written,
 * every chain verifies, and every acknowledged block passes the read verification.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { findChainBreak, recordHash } from '../src/kernel/audit/chain.ts';
import type { AuditRecord } from '../src/kernel/types.ts';
import { makeHarness } from './support/harness.ts';
import { wasmMerkle } from './support/wasm.ts';

const TRIALS = 24;

async function runAndKill(file: string, killAfterMs: number, worker: boolean): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/crash/writer.ts', file, ...(worker ? ['worker'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      // under load: the first decisions have been acknowledged
      if (out.includes('\nACK ')) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`writer exited early: ${err}`));
      }
    }, 5);
  });
  await ready;
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill('SIGKILL');
  await exited;
  return out;
}

describe('crash safety', () => {
  it(`keeps every acknowledged append across ${TRIALS} SIGKILLs under concurrent load (in-thread and worker-thread store)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-crash-'));
    const merkle = wasmMerkle();
    let acked = 0;
    let ackedByWorkerStore = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      // the same database across trials: each restart continues on what survived
      const file = join(dir, 'kee.db');
      // odd trials: the libSQL connection in a worker thread (WorkerAuditStore, the npm start default)
      const out = await runAndKill(file, Math.floor(Math.random() * 800), trial % 2 === 1);
      const lines = out.split('\n').slice(0, -1); // a last line without newline may be cut
      const client = createLibsqlClient(`file:${file}`);
      const store = await openLibsqlStore(client, { embedded: true });

      for (const line of lines) {
        const [tag, a, b, c] = line.split(' ');
        if (tag === 'ACK') {
          const recs = await store.listRecords(a as string);
          const rec = recs.find((r) => r.aleSeq === Number(b));
          expect(rec, `acknowledged ${a} #${b} lost in trial ${trial}`).toBeDefined();
          expect(JSON.parse(rec!.canonical).decision).toBe(c);
          acked++;
          if (trial % 2 === 1) ackedByWorkerStore++;
        }
      }
      // no half-written record; every chain intact; every block verifies
      const sessions = (await client.execute('SELECT session_id, block_id, status FROM sessions')).rows as unknown as { session_id: string; block_id: string; status: string }[];
      for (const s of sessions) {
        const stored = await store.listRecords(s.session_id);
        for (const r of stored) expect(recordHash(merkle, r.canonical)).toBe(r.hash);
        const records = stored.map((r) => JSON.parse(r.canonical) as AuditRecord);
        expect(findChainBreak(merkle, records, s), `chain of ${s.session_id}`).toBeNull();
      }
      const h = makeHarness({ store });
      for (const line of lines.filter((l) => l.startsWith('BLOCK '))) {
        const pkg = await h.kernel.getPackage(line.slice(6));
        expect(pkg.block.record_count).toBe(pkg.records.length);
      }
      client.close();
    }
    expect(acked).toBeGreaterThan(TRIALS * 10);
    expect(ackedByWorkerStore).toBeGreaterThan(TRIALS * 5);
  }, 600_000);
});
