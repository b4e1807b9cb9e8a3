/**
 * Crash-test writer: a kernel on an embedded libSQL file under concurrent load. Prints
 * `ACK <session_id> <ale_seq> <decision>` only after an authorization (and its record) returned,
 * `BLOCK <block_id>` after a close returned. Killed with SIGKILL by test/crash.test.ts.
 * Usage: node --import tsx test/crash/writer.ts <db-file> [worker]
 * With `worker`, the store is the WorkerAuditStore (libSQL in a worker thread, as `npm start`).
 */
import '../../src/entry/node-v8-flags.ts';
import { createLibsqlClient } from '../../src/adapters/libsql/client.ts';
import { openLibsqlStore } from '../../src/adapters/libsql/open-libsql.ts';
import { openWorkerLibsqlStore } from '../../src/entry/open-worker-store.ts';
import { agentRead, classifyGold, makeHarness } from '../support/harness.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: writer.ts <db-file>');
const inWorker = process.argv[3] === 'worker';
const store = inWorker ? (await openWorkerLibsqlStore(`file:${file}`)).store : await openLibsqlStore(createLibsqlClient(`file:${file}`), { embedded: true });
const { kernel } = makeHarness({ store, ...(inWorker ? { deps: { options: { eagerBatch: 256 } } } : {}) });
const out: string[] = [];
const flush = () => {
  if (out.length) process.stdout.write(out.splice(0).join(''));
};
setInterval(flush, 2).unref();

async function worker(w: number): Promise<never> {
  for (;;) {
    const s = await kernel.openSession(`agent-${w}`);
    for (let i = 0; i < 40; i++) {
      const r = await kernel.authorize(s.session_id, i % 5 ? agentRead(`a${w}`) : classifyGold(i % 2 === 0));
      out.push(`ACK ${s.session_id} ${r.ale_seq} ${r.decision}\n`);
    }
    const b = await kernel.closeSession(s.session_id);
    out.push(`BLOCK ${b.block_id}\n`);
  }
}

process.stdout.write('READY\n');
await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
