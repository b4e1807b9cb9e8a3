import { DomainError, ERROR_CODES, isDomainError, type ErrorCode } from '../../kernel/errors.ts';
import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, BlockLogLeaf, StatusChange, StoredRecord, StoredDocument } from '../../ports/storage.ts';
import { SessionCache } from './session-cache.ts';

/**
 * The Web-standard part of a `MessagePort` that the worker store needs: `MessageChannel` ports
 * of `node:worker_threads` (Node, Bun, Deno) and of the Web platform both fit.
 */
export type StoreChannel = {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start?(): void;
};

type Op = keyof AuditStore;
const OPS: readonly Op[] = [
  'createSession', 'getSession', 'sessionsWithStatus', 'lastRecord', 'appendRecords', 'listRecords', 'setSessionStatus',
  'storeBlock', 'getBlock', 'blockLogSize', 'blockLogLeaves', 'blockLogLeaf',
  'putDocument', 'latestDocument', 'getDocument', 'listDocuments',
];
type Call = { id: number; op: Op; args: unknown[] };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: ErrorCode; message: string };

/**
 * Messages are batched both ways: the calls made in one turn of the event loop cross the channel
 * as one message (an array), and so do the replies the worker has ready in one of its turns. Each
 * `postMessage` costs a structured clone, a port wake-up and an event on the other side, whatever
 * its size; under load (64 or more decisions in flight) one message carries tens of calls.
 * Order is kept (calls are served, and replies sent, in the order they were made), and a reply
 * still leaves only once its call is done (a write: committed).
 */
type Message = Call | Call[];
type ReplyMessage = Reply | Reply[];

/** After the current turn's I/O callbacks (Node, Bun, Deno); a macrotask where there is no `setImmediate`. */
const afterTurn: (f: () => void) => void = typeof setImmediate === 'function' ? (f) => void setImmediate(f) : (f) => void setTimeout(f, 0);

/**
 * Records cross the channel as five parallel columns rather than one object each: structured
 * clone copies a few arrays of strings and numbers much faster than thousands of small objects.
 */
type PackedRecords = { sessionIds: string[]; aleSeqs: number[]; aleTypes: string[]; canonicals: string[]; hashes: string[] };

function pack(records: readonly StoredRecord[]): PackedRecords {
  const p: PackedRecords = { sessionIds: [], aleSeqs: [], aleTypes: [], canonicals: [], hashes: [] };
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as StoredRecord;
    p.sessionIds.push(r.sessionId);
    p.aleSeqs.push(r.aleSeq);
    p.aleTypes.push(r.aleType);
    p.canonicals.push(r.canonical);
    p.hashes.push(r.hash);
  }
  return p;
}

function unpack(p: PackedRecords): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (let i = 0; i < p.sessionIds.length; i++) {
    out.push({ sessionId: p.sessionIds[i] as string, aleSeq: p.aleSeqs[i] as number, aleType: p.aleTypes[i] as string, canonical: p.canonicals[i] as string, hash: p.hashes[i] as string });
  }
  return out;
}

/**
 * AuditStore whose database lives on the other side of a message channel, in a worker thread
 * that owns the embedded libSQL connection (`src/entry/libsql-worker.ts`). The event loop never
 * waits for SQLite or fsync: a call is a message, and its promise settles with the worker's
 * reply, which comes only after the transaction committed (and, for WAL with
 * `synchronous=FULL`, was fsynced). Calls are answered in the order they were sent.
 *
 * Errors keep their DomainError code across the channel. If the worker dies, every pending and
 * later call rejects with GAR_UNAVAILABLE (the kernel enters SUSPENDED_GAR).
 */
export class WorkerAuditStore implements AuditStore {
  private channel: StoreChannel;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private dead: string | null = null;
  private outbox: Call[] = [];
  private readonly sessions: SessionCache | null;

  /**
   * `options.sole`: this store is the only writer of the database (an embedded file under the
   * store lock, `src/entry/store-lock.ts`): sessions read or created through it are then kept in
   * memory (`SessionCache`), so the read every authorization makes costs no round trip.
   */
  constructor(channel: StoreChannel, options: { sole?: boolean } = {}) {
    this.channel = channel;
    this.sessions = options.sole ? new SessionCache() : null;
    this.listen(channel);
  }

  /**
   * Marks the worker gone (exit, crash): pending and later calls reject with GAR_UNAVAILABLE
   * until `attach` gives a new one. A pending write may have committed before the worker died;
   * the kernel then reloads the session's head from the store, so nothing chains on a guess.
   */
  fail(reason: string): void {
    this.dead ??= reason;
    // a write in flight may or may not have committed: nothing known before is trusted
    this.sessions?.clear();
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.outbox = [];
    for (const p of pending) p.reject(this.gone());
  }

  /** Continues on a new worker's channel (after `fail`): calls are accepted again. */
  attach(channel: StoreChannel): void {
    this.channel = channel;
    this.listen(channel);
    this.dead = null;
  }

  private listen(channel: StoreChannel): void {
    // replies are matched by id, and ids are never reused, so a late reply on an old channel
    // cannot settle a call sent on a new one
    channel.addEventListener('message', (event) => {
      if (channel !== this.channel) return;
      const data = event.data as ReplyMessage;
      if (Array.isArray(data)) for (const reply of data) this.onReply(reply);
      else this.onReply(data);
    });
    channel.start?.();
  }

  createSession(session: Session, first: StoredRecord): Promise<void> {
    const cache = this.sessions;
    if (!cache) return this.call('createSession', [session, first]) as Promise<void>;
    const seen = cache.writing(session.session_id);
    return (this.call('createSession', [session, first]) as Promise<void>).then(() => cache.fill(seen, { ...session }));
  }

  getSession(sessionId: string): Promise<Session | null> {
    const cache = this.sessions;
    if (!cache || this.dead !== null) return this.call('getSession', [sessionId]) as Promise<Session | null>;
    const known = cache.get(sessionId);
    if (known) return Promise.resolve({ ...known });
    const seen = cache.reading(sessionId);
    return (this.call('getSession', [sessionId]) as Promise<Session | null>).then((s) => {
      if (s) cache.fill(seen, { ...s });
      return s;
    });
  }

  sessionsWithStatus(status: SessionStatus, limit: number): Promise<Session[]> {
    return this.call('sessionsWithStatus', [status, limit]) as Promise<Session[]>;
  }

  lastRecord(sessionId: string): Promise<StoredRecord | null> {
    return this.call('lastRecord', [sessionId]) as Promise<StoredRecord | null>;
  }

  appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    for (const s of statuses) this.sessions?.writing(s.sessionId);
    return this.call('appendRecords', [pack(records), statuses]) as Promise<void>;
  }

  listRecords(sessionId: string): Promise<StoredRecord[]> {
    return this.call('listRecords', [sessionId]) as Promise<StoredRecord[]>;
  }

  setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
    this.sessions?.writing(sessionId);
    return this.call('setSessionStatus', [sessionId, status]) as Promise<void>;
  }

  storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
    this.sessions?.writing(block.session_id);
    return this.call('storeBlock', [block, leaf]) as Promise<void>;
  }

  getBlock(blockId: string): Promise<SessionBlock | null> {
    return this.call('getBlock', [blockId]) as Promise<SessionBlock | null>;
  }

  blockLogSize(): Promise<number> {
    return this.call('blockLogSize', []) as Promise<number>;
  }

  blockLogLeaves(from: number, to: number): Promise<BlockLogLeaf[]> {
    return this.call('blockLogLeaves', [from, to]) as Promise<BlockLogLeaf[]>;
  }

  blockLogLeaf(blockId: string): Promise<BlockLogLeaf | null> {
    return this.call('blockLogLeaf', [blockId]) as Promise<BlockLogLeaf | null>;
  }

  putDocument(doc: StoredDocument): Promise<void> {
    return this.call('putDocument', [doc]) as Promise<void>;
  }

  latestDocument(kind: string): Promise<StoredDocument | null> {
    return this.call('latestDocument', [kind]) as Promise<StoredDocument | null>;
  }

  getDocument(kind: string, seq: number): Promise<StoredDocument | null> {
    return this.call('getDocument', [kind, seq]) as Promise<StoredDocument | null>;
  }

  listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    return this.call('listDocuments', [kind, fromSeq, limit]) as Promise<StoredDocument[]>;
  }

  private call(op: Op, args: unknown[]): Promise<unknown> {
    if (this.dead !== null) return Promise.reject(this.gone());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.outbox.push({ id, op, args }) === 1) afterTurn(() => this.flush());
    });
  }

  /** Sends the calls made since the last flush as one message (a lone call as itself). */
  private flush(): void {
    // calls already rejected (the worker died meanwhile) are not sent: a caller told "failed" must not see them done
    const calls = this.outbox.filter((c) => this.pending.has(c.id));
    this.outbox = [];
    if (calls.length === 0) return;
    if (calls.length === 1) return this.post(calls[0] as Call);
    try {
      this.channel.postMessage(calls satisfies Message);
    } catch {
      // one of them cannot be cloned: each on its own, so only that caller gets the error
      for (const c of calls) this.post(c);
    }
  }

  private post(call: Call): void {
    try {
      this.channel.postMessage(call satisfies Message);
    } catch (e) {
      this.pending.get(call.id)?.reject(new DomainError('GAR_UNAVAILABLE', 'the audit store worker cannot be reached', { cause: e }));
      this.pending.delete(call.id);
    }
  }

  private onReply(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new DomainError(reply.code, reply.message));
  }

  private gone(): DomainError {
    return new DomainError('GAR_UNAVAILABLE', `the audit store worker is gone: ${this.dead ?? 'unknown'}`);
  }
}

/**
 * The worker side: answers calls from a WorkerAuditStore with `store`, one at a time in
 * arrival order (so a transaction's reply always follows its commit, and batches commit in the
 * order the kernel sent them).
 */
export function serveAuditStore(store: AuditStore, channel: StoreChannel): void {
  let chain: Promise<void> = Promise.resolve();
  let ready: Reply[] = [];
  const send = (reply: Reply) => {
    try {
      channel.postMessage(reply);
    } catch (e) {
      // a value that cannot be cloned must not stop the queue: the caller gets an error
      channel.postMessage({ id: reply.id, ok: false, code: 'GAR_UNAVAILABLE', message: e instanceof Error ? e.message : String(e) } satisfies Reply);
    }
  };
  const flush = () => {
    const replies = ready;
    ready = [];
    if (replies.length === 1) return send(replies[0] as Reply);
    try {
      channel.postMessage(replies satisfies ReplyMessage);
    } catch {
      // one of them cannot be cloned: each on its own, so only that caller gets the error
      for (const r of replies) send(r);
    }
  };
  const serve = (call: Call) => {
    chain = chain.then(async () => {
      const reply = await answer(store, call);
      if (ready.push(reply) === 1) afterTurn(flush);
    });
  };
  channel.addEventListener('message', (event) => {
    const data = event.data as Message;
    if (Array.isArray(data)) for (const call of data) serve(call);
    else serve(data);
  });
  channel.start?.();
}

async function answer(store: AuditStore, call: Call): Promise<Reply> {
  try {
    if (!OPS.includes(call.op)) throw new DomainError('INTERNAL', `unknown store operation \`${String(call.op)}\``);
    const args = call.op === 'appendRecords' ? [unpack(call.args[0] as PackedRecords), call.args[1]] : call.args;
    const fn = store[call.op] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(store, args);
    return { id: call.id, ok: true, value };
  } catch (e) {
    const code: ErrorCode = isDomainError(e) && ERROR_CODES.includes(e.code) ? e.code : 'GAR_UNAVAILABLE';
    return { id: call.id, ok: false, code, message: e instanceof Error ? e.message : String(e) };
  }
}
