import type { AuditStore, BlockLogLeaf, StatusChange, StoredRecord } from '../../ports/storage.ts';
import type { Session, SessionBlock, SessionStatus } from '../types.ts';

/** Most sessions kept (about 200 bytes each); the cache is emptied when full. */
const MAX_SESSIONS = 50_000;

/**
 * A store whose `getSession` answers from memory after the first read: every `authorize` reads
 * its session (status, agent), and over the embedded libSQL store each read is a round trip to
 * the database worker. Only for a store no other kernel writes (an embedded file, held by this
 * kernel's lock; docs/cluster.md): a PostgreSQL store shared by instances is never wrapped.
 *
 * Exactness: a session's only mutable field is its status, and this store sees every write that
 * changes one (`appendRecords` with status changes, `setSessionStatus`, `storeBlock`). Each such
 * write drops the sessions it names when it starts and again when it settles (committed or
 * failed), and a read that overlapped any such write is not kept; so a read answers what the
 * store holds, as without the cache: a close, an expiry, a tampering mark takes effect for the
 * next call exactly as before. Answers are copies (callers may not change the cached one).
 */
export function withSessionCache<S extends AuditStore>(store: S): S {
  const sessions = new Map<string, Session>();
  /** Bumped when a status write starts and when it settles. */
  let generation = 0;
  const changing = async <T>(ids: readonly string[], write: () => Promise<T>): Promise<T> => {
    const drop = () => {
      generation++;
      for (const id of ids) sessions.delete(id);
    };
    drop();
    try {
      return await write();
    } finally {
      drop();
    }
  };
  const overrides: Partial<AuditStore> = {
    async getSession(sessionId: string): Promise<Session | null> {
      const known = sessions.get(sessionId);
      if (known) return { ...known };
      const before = generation;
      const read = await store.getSession(sessionId);
      if (read && generation === before) {
        if (sessions.size >= MAX_SESSIONS) sessions.clear();
        sessions.set(sessionId, { ...read });
      }
      return read;
    },
    appendRecords(records: readonly StoredRecord[], statuses?: readonly StatusChange[]): Promise<void> {
      if (!statuses || statuses.length === 0) return store.appendRecords(records, statuses);
      return changing(
        statuses.map((s) => s.sessionId),
        () => store.appendRecords(records, statuses),
      );
    },
    setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
      return changing([sessionId], () => store.setSessionStatus(sessionId, status));
    },
    storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
      return changing([block.session_id], () => store.storeBlock(block, leaf));
    },
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof AuditStore];
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined || (fn as { original?: unknown }).original !== value) {
        const b = (value as (...a: unknown[]) => unknown).bind(target) as ((...a: unknown[]) => unknown) & { original?: unknown };
        b.original = value;
        fn = b;
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}
