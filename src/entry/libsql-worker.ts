/**
 * The audit store's worker thread: owns the embedded libSQL connection (WAL,
 * `synchronous=FULL`) so that SQLite work and fsync never block the kernel's event loop. It
 * serves the `WorkerAuditStore` protocol on the MessagePort it receives in `workerData` and
 * answers each call only after its transaction committed. Started by `open-worker-store.ts`.
 * For an embedded file, group-commit batches and session reads go through a NativeRecordWriter
 * (prepared statements on a second connection, small frequent checkpoints).
 */
import { workerData } from 'node:worker_threads';
import { createLibsqlClient, isEmbeddedUrl } from '../adapters/libsql/client.ts';
import { openLibsqlStore } from '../adapters/libsql/open-libsql.ts';
import { NativeRecordWriter } from '../adapters/libsql/native-writer.ts';
import { serveAuditStore, type StoreChannel } from '../adapters/libsql/worker-store.ts';

type Init = { url: string; authToken?: string; busyTimeoutMs?: number; port: StoreChannel & { postMessage(m: unknown): void } };

const { url, authToken, busyTimeoutMs, port } = workerData as Init;
try {
  const client = createLibsqlClient(url, { ...(authToken ? { authToken } : {}), ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
  const embedded = isEmbeddedUrl(url);
  const store = await openLibsqlStore(client, { embedded, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
  if (embedded) store.throughNative(NativeRecordWriter.open(url, busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}));
  serveAuditStore(store, port);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, message: e instanceof Error ? e.message : String(e) });
}
