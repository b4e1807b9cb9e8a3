import { createLibsqlClient } from './client.ts';
import { NativeRecordWriter } from './native-writer.ts';
import type { AuditStore } from '../../ports/storage.ts';
import { openLibsqlStore } from './open-libsql.ts';
import { SessionCachingStore } from './session-cache.ts';

/**
 * An embedded libSQL file served on the calling thread, no worker: the store of
 * `open-libsql.ts` with the NativeRecordWriter for the hot paths (group-commit batches and the
 * session read every authorization makes), as the libSQL worker thread runs it. A batch's
 * commit (and its fsync: WAL, `synchronous=FULL`, as in the worker) holds the event loop for
 * its duration, and nothing crosses a thread: for a process that makes few decisions at once
 * (the embedded MCP gateway), the two thread hand-offs of every call cost more than they free.
 * As the file's only writer (the store lock), it keeps the sessions it knows in memory
 * (`SessionCachingStore`).
 */
export async function openMainThreadLibsqlStore(url: string, options: { busyTimeoutMs?: number } = {}): Promise<{ store: AuditStore; close: () => void }> {
  if (!url.startsWith('file:')) throw new Error('the libSQL store runs on the main thread only for an embedded file (`file:` URL)');
  const client = createLibsqlClient(url, options);
  try {
    // both connections with the same busy timeout (pragmas.ts: the settings of each)
    const store = await openLibsqlStore(client, { embedded: true, ...options });
    const native = NativeRecordWriter.open(url, options);
    store.throughNative(native);
    return {
      store: new SessionCachingStore(store),
      close: () => {
        native.close();
        client.close();
      },
    };
  } catch (e) {
    client.close();
    throw e;
  }
}
