/**
 * Starts the libSQL worker thread (`libsql-worker.ts`) and returns a `WorkerAuditStore` talking
 * to it over a MessageChannel. `node:worker_threads` exists on Node, Bun and Deno.
 */
import { MessageChannel } from 'node:worker_threads';
import { WorkerAuditStore, type StoreChannel } from '../adapters/libsql/worker-store.ts';
import { startTsWorker } from './ts-worker.ts';

export type WorkerStoreHandle = { store: WorkerAuditStore; close: () => Promise<void> };

export async function openWorkerLibsqlStore(url: string, options: { authToken?: string } = {}): Promise<WorkerStoreHandle> {
  const { port1, port2 } = new MessageChannel();
  const init = { workerData: { url, ...(options.authToken ? { authToken: options.authToken } : {}), port: port2 }, transferList: [port2] };
  const worker = startTsWorker(new URL('./libsql-worker.ts', import.meta.url), init);
  const channel = port1 as unknown as StoreChannel;
  // the first message says whether the database opened; later ones are replies
  await new Promise<void>((resolve, reject) => {
    const onFirst = (m: { ready?: boolean; message?: string }) => {
      port1.off('message', onFirst);
      worker.off('error', reject);
      if (m.ready) resolve();
      else reject(new Error(`the libSQL worker cannot open the database: ${m.message ?? 'unknown error'}`));
    };
    port1.on('message', onFirst);
    worker.once('error', reject);
  });
  const store = new WorkerAuditStore(channel);
  worker.on('error', (e: Error) => store.fail(e.message));
  worker.on('exit', (code) => store.fail(`exited with code ${code}`));
  return {
    store,
    close: async () => {
      port1.close();
      await worker.terminate();
    },
  };
}
