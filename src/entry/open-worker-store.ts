/**
 * Starts the libSQL worker thread (`libsql-worker.ts`) and returns a `WorkerAuditStore` talking
 * to it over a MessageChannel. `node:worker_threads` exists on Node, Bun and Deno. If the worker
 * dies, calls fail with GAR_UNAVAILABLE (the kernel enters SUSPENDED_GAR) and a new worker is
 * started, with a growing pause between attempts; once it has opened the database the store
 * works again and the next committed write returns the kernel to NORMAL.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { WorkerAuditStore, type StoreChannel } from '../adapters/libsql/worker-store.ts';
import { startTsWorker } from './ts-worker.ts';

export type WorkerStoreHandle = {
  store: WorkerAuditStore;
  close: () => Promise<void>;
  /** The current worker thread (tests stop it to simulate a crash). */
  worker: () => Worker;
};

type Started = { worker: Worker; port: MessagePort };

/**
 * `busyTimeoutMs`: how long a write (a batch, or any other write of the store: documents, blocks,
 * session status) waits for a write lock held by another connection before it fails (default
 * 5 s; see NativeRecordWriter.open and openLibsqlStore). `cacheSessions`: keep the sessions of an
 * embedded file (this kernel is its one writer, the store lock) in memory, so a decision's
 * session read costs no round trip — off unless asked: over HTTP under load that round trip is
 * what gathers a burst of decisions into one commit, and without it Node's `authorize` spent more
 * CPU per decision (fewer records per fsync; bench/http/RESULTS.md "Session 9"). The MCP gateway,
 * one call at a time, asks for it.
 */
export async function openWorkerLibsqlStore(url: string, options: { authToken?: string; busyTimeoutMs?: number; cacheSessions?: boolean } = {}): Promise<WorkerStoreHandle> {
  let closing = false;
  let current = await start(url, options);
  const store = new WorkerAuditStore(current.port as unknown as StoreChannel, { sole: options.cacheSessions === true && url.startsWith('file:') });
  const watch = (s: Started) => {
    const died = (why: string) => {
      if (closing || s !== current) return;
      store.fail(why);
      void restart();
    };
    s.worker.on('error', (e: Error) => died(e.message));
    s.worker.on('exit', (code: number) => died(`exited with code ${code}`));
  };
  const restart = async () => {
    for (let pause = 50; !closing; pause = Math.min(pause * 2, 5_000)) {
      await new Promise((r) => setTimeout(r, pause));
      try {
        const next = await start(url, options);
        if (closing) {
          await next.worker.terminate();
          return;
        }
        current = next;
        store.attach(next.port as unknown as StoreChannel);
        watch(next);
        return;
      } catch {
        // the database still cannot be opened: try again later
      }
    }
  };
  watch(current);
  return {
    store,
    worker: () => current.worker,
    close: async () => {
      closing = true;
      store.fail('closed');
      current.port.close();
      await current.worker.terminate();
    },
  };
}

/** A worker with the database open, or an error saying why it could not open it. */
async function start(url: string, options: { authToken?: string; busyTimeoutMs?: number }): Promise<Started> {
  const { port1, port2 } = new MessageChannel();
  const init = { workerData: { url, ...(options.authToken ? { authToken: options.authToken } : {}), ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}), port: port2 }, transferList: [port2] };
  const worker = startTsWorker(new URL('./libsql-worker.ts', import.meta.url), init);
  try {
    // the first message says whether the database opened; later ones are replies
    await new Promise<void>((resolve, reject) => {
      port1.once('message', (m: { ready?: boolean; message?: string }) => {
        if (m.ready) resolve();
        else reject(new Error(`the libSQL worker cannot open the database: ${m.message ?? 'unknown error'}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the libSQL worker exited with code ${code}`)));
    });
  } catch (e) {
    port1.close();
    await worker.terminate();
    throw e;
  }
  return { worker, port: port1 };
}
