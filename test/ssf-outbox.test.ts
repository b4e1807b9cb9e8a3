/**
 * The SSF outbox (docs/revocation.md, "What survives a restart") on embedded libSQL: the shared
 * restart cases (test/contract/ssf-outbox.case.ts), and what the outbox drops, never silently: the
 * SETs of a deleted stream, and SETs unacknowledged past the outbox's maximum age; and a registry
 * entry whose outbox write failed is owed at the next start (entries older than the outbox are not).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import { DomainError } from '../src/kernel/errors.ts';
import type { OperatorAlert } from '../src/ports/alert.ts';
import type { StoredDocument } from '../src/ports/storage.ts';
import { runSsfOutboxCases } from './contract/ssf-outbox.case.ts';
import { makeHarness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';

runSsfOutboxCases('embedded libSQL', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kee-outbox-')), 'kee.db');
  return {
    open: async () => {
      const client = createLibsqlClient(`file:${file}`);
      return { store: await openLibsqlStore(client, { embedded: true }), close: async () => client.close() };
    },
  };
});

const POLL = 'urn:ietf:rfc:8936';

async function boot(store: MemoryStore, ops: Awaited<ReturnType<typeof makeOperators>>, offset: { ms: number }, revocation: Record<string, unknown> = {}) {
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({ store, deps: { operatorTokens: ops.verifier, clock: { nowIso: () => new Date(Date.now() + offset.ms).toISOString() }, alerts: { alert: (a) => void alerts.push(a) }, options: { revocation: { tickMs: 0, ...revocation } } } });
  await h.started;
  return { h, alerts };
}

describe('what the SSF outbox drops', () => {
  it('a stream deleted with a SET owed: dropped with REVOCATION_ALERT and an operator alert, the event UNKNOWN; not owed after a restart', async () => {
    const store = new MemoryStore();
    const ops = await makeOperators();
    const op = await ops.bearer('operator');
    const { h, alerts } = await boot(store, ops, { ms: 0 });
    const stream = (await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
    const entry = (await h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-1' }, op)).json;
    await h.kernel.revocation.idle();
    expect((await h.call('DELETE', `/ssf/streams?stream_id=${stream}`, undefined, op)).status).toBe(204);
    expect(h.kernel.revocation.propagation.view(entry.event_id)[0]?.state).toBe('UNKNOWN');
    expect(alerts).toEqual([expect.objectContaining({ alert: 'REVOCATION_UNKNOWN', event_id: entry.event_id, detail: expect.stringContaining('its stream was deleted') })]);
    const rec = (await journalRecords(store)).filter((r) => r.ale_type === 'REVOCATION_ALERT');
    expect(rec).toEqual([expect.objectContaining({ event_id: entry.event_id, completion_state: 'UNKNOWN', dropped_stream_id: stream, dropped_jtis: [expect.any(String)] })]);
    h.kernel.stop();

    const again = await boot(store, ops, { ms: 0 });
    await again.h.kernel.revocation.tick();
    expect(again.h.kernel.revocation.propagation.view(entry.event_id)[0]?.state).toBe('UNKNOWN');
    expect(again.alerts).toEqual([]);
    again.h.kernel.stop();
  });

  it('a SET unacknowledged past the maximum age (here 1 h): alert at 60 s, then dropped with REVOCATION_ALERT and an operator alert, also across a restart', async () => {
    const store = new MemoryStore();
    const ops = await makeOperators();
    const op = await ops.bearer('operator');
    const offset = { ms: 0 };
    const { h, alerts } = await boot(store, ops, offset, { outboxMaxAgeMs: 3600_000 });
    const stream = (await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
    const entry = (await h.call('POST', '/v1/revocations', { kind: 'GEC_CERT', id: 'c-1' }, op)).json;
    await h.kernel.revocation.idle();
    offset.ms = 61_000;
    await h.kernel.revocation.tick();
    expect(h.kernel.revocation.propagation.view(entry.event_id)[0]?.state).toBe('PARTIAL');
    expect(alerts.map((a) => a.alert)).toEqual(['REVOCATION_UNACKNOWLEDGED']);
    h.kernel.stop();

    // restarted: the 60 s alert was given (not repeated); the SET is still owed until the maximum age
    const again = await boot(store, ops, offset, { outboxMaxAgeMs: 3600_000 });
    await again.h.kernel.revocation.tick();
    expect(again.alerts).toEqual([]);
    expect(Object.keys((await again.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets)).toHaveLength(1);
    offset.ms = 3600_000;
    await again.h.kernel.revocation.tick();
    expect(again.h.kernel.revocation.propagation.view(entry.event_id)[0]?.state).toBe('UNKNOWN');
    expect(again.alerts).toEqual([expect.objectContaining({ alert: 'REVOCATION_UNKNOWN', event_id: entry.event_id, detail: expect.stringContaining('expired at') })]);
    expect((await again.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets).toEqual({});
    const rec = (await journalRecords(store)).filter((r) => r.ale_type === 'REVOCATION_ALERT' || r.ale_type === 'REVOCATION_PROPAGATION').map((r) => [r.ale_type, r.completion_state]);
    expect(rec).toEqual([
      ['REVOCATION_PROPAGATION', 'PARTIAL'],
      ['REVOCATION_PROPAGATION', 'UNKNOWN'],
      ['REVOCATION_ALERT', 'UNKNOWN'],
    ]);
    again.h.kernel.stop();
  });
});

/** A store whose `ssf_outbox` writes are lost (`ignore`: a kernel before the outbox) or fail (`fail`: the store failing). */
class OutboxFaults extends MemoryStore {
  mode: 'ok' | 'ignore' | 'fail' = 'ok';
  override async putDocument(doc: StoredDocument): Promise<void> {
    if (doc.kind === 'ssf_outbox' && this.mode === 'ignore') return;
    if (doc.kind === 'ssf_outbox' && this.mode === 'fail') throw new DomainError('GAR_UNAVAILABLE', 'the store is down');
    return super.putDocument(doc);
  }
}

describe('registry entries without SETs in the outbox', () => {
  it('the outbox write fails: the revocation is not answered 201, and the next start owes its SET; entries older than the outbox are not sent', async () => {
    const store = new OutboxFaults();
    const ops = await makeOperators();
    const op = await ops.bearer('operator');
    // a kernel from before the outbox: its stream and a revocation, no outbox at all
    store.mode = 'ignore';
    const old = await boot(store, ops, { ms: 0 });
    const stream = (await old.h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
    expect((await old.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-old' }, op)).status).toBe(201);
    old.h.kernel.stop();

    store.mode = 'ok';
    const first = await boot(store, ops, { ms: 0 });
    store.mode = 'fail';
    const failed = await first.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-new' }, op);
    expect(failed.status).toBe(503);
    expect(failed.json.code).toBe('GAR_UNAVAILABLE');
    first.h.kernel.stop();

    store.mode = 'ok';
    const second = await boot(store, ops, { ms: 0 });
    await second.h.kernel.revocation.idle();
    const entry = (await second.h.call('GET', '/v1/revocations')).json.revocations.find((e: { id: string }) => e.id === 'k-new');
    expect(entry).toMatchObject({ kind: 'KIA_KEY', source: 'LOCAL' });
    const sets = (await second.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
    expect(Object.values(sets).map((t) => decodeJwt(t).txn)).toEqual([entry.event_id]);
    expect(second.h.kernel.revocation.propagation.view().map((e) => [e.id, e.state, e.started_at])).toEqual([['k-new', 'PENDING', entry.revoked_at]]);
    second.h.kernel.stop();
  });
});

/** Counts the `ssf_outbox` documents each start reads (and the checkpoint reads). */
class CountingStore extends MemoryStore {
  outboxRead = 0;
  checkpointReads = 0;
  override async listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    const docs = await super.listDocuments(kind, fromSeq, limit);
    if (kind === 'ssf_outbox') this.outboxRead += docs.length;
    return docs;
  }
  override async getDocument(kind: string, seq: number): Promise<StoredDocument | null> {
    const doc = await super.getDocument(kind, seq);
    if (kind === 'ssf_outbox' && doc) this.outboxRead++;
    return doc;
  }
  override async latestDocument(kind: string): Promise<StoredDocument | null> {
    if (kind === 'ssf_outbox') this.outboxRead++;
    if (kind === 'ssf_outbox_checkpoint') this.checkpointReads++;
    return super.latestDocument(kind);
  }
}

describe('a start reads only the live outbox (the checkpoint)', () => {
  it('40 events settled and one owed: the next start reads the owed one and what follows, restores it (same SET), and after its ack reads next to nothing', async () => {
    const store = new CountingStore();
    const ops = await makeOperators();
    const op = await ops.bearer('operator');
    const first = await boot(store, ops, { ms: 0 });
    const stream = (await first.h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
    for (let i = 0; i < 40; i++) {
      expect((await first.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: `k-${i}` }, op)).status).toBe(201);
      await first.h.kernel.revocation.idle();
      const sets = (await first.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
      expect((await first.h.call('POST', `/ssf/poll/${stream}`, { ack: Object.keys(sets), returnImmediately: true }, op)).status).toBe(200);
    }
    const owed = (await first.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-owed' }, op)).json;
    await first.h.kernel.revocation.idle();
    const before = (await first.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
    expect(Object.values(before).map((t) => decodeJwt(t).txn)).toEqual([owed.event_id]);
    first.h.kernel.stop();
    const written = (await store.latestDocument('ssf_outbox'))!.seq;
    expect(written).toBe(1 + 40 * 3 + 1); // the baseline, per settled event its owed, ack and state, the owed event

    // no checkpoint yet: this start reads the whole outbox, and writes one before the owed event
    store.outboxRead = 0;
    const second = await boot(store, ops, { ms: 0 });
    expect(store.outboxRead).toBe(written);
    const checkpoint = JSON.parse((await store.latestDocument('ssf_outbox_checkpoint'))!.body);
    expect(checkpoint.from_seq).toBe(written); // the owed event's document
    second.h.kernel.stop();

    // the next start reads from the checkpoint: the document before it (which must exist) and the owed event's
    store.outboxRead = 0;
    const third = await boot(store, ops, { ms: 0 });
    expect(store.outboxRead).toBe(2);
    expect(third.h.kernel.revocation.propagation.view().map((e) => [e.id, e.state])).toEqual([['k-owed', 'PENDING']]);
    const after = (await third.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
    expect(after).toEqual(before); // same jti, same bytes
    expect((await third.h.call('POST', `/ssf/poll/${stream}`, { ack: Object.keys(after), returnImmediately: true }, op)).status).toBe(200);
    expect(third.h.kernel.revocation.propagation.view(owed.event_id)[0]?.state).toBe('CLEAN');
    third.h.kernel.stop();

    // settled: the next start moves the checkpoint past it, and the one after reads one document
    const fourth = await boot(store, ops, { ms: 0 });
    fourth.h.kernel.stop();
    store.outboxRead = 0;
    const fifth = await boot(store, ops, { ms: 0 });
    expect(store.outboxRead).toBe(1);
    expect(fifth.h.kernel.revocation.propagation.view()).toEqual([]);
    expect((await fifth.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets).toEqual({});
    // a revocation after it is owed as usual (the checkpoint's registry_seq covers only what was owed)
    expect((await fifth.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-next' }, op)).status).toBe(201);
    await fifth.h.kernel.revocation.idle();
    expect(Object.keys((await fifth.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets)).toHaveLength(1);
    fifth.h.kernel.stop();
  });

  it('a checkpoint naming a document past the outbox fails the start (AUDIT_TAMPERED)', async () => {
    const store = new MemoryStore();
    const ops = await makeOperators();
    const first = await boot(store, ops, { ms: 0 });
    first.h.kernel.stop();
    await store.putDocument({ kind: 'ssf_outbox_checkpoint', seq: 1, docId: 'checkpoint', body: JSON.stringify({ from_seq: 50, registry_seq: 0 }), createdAt: new Date().toISOString() });
    const h = makeHarness({ store, deps: { operatorTokens: ops.verifier, options: { revocation: { tickMs: 0 } } } });
    await expect(h.started).rejects.toThrow(/checkpoint 1 names document 50, past the outbox/);
    h.kernel.stop();
  });
});

/** Runs `hook` once, inside the next read of the outbox (a start's), before it answers. */
class HookedStore extends MemoryStore {
  hook: (() => Promise<void>) | null = null;
  override async listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    const hook = this.hook;
    if (kind === 'ssf_outbox' && hook) {
      this.hook = null;
      await hook();
    }
    return super.listDocuments(kind, fromSeq, limit);
  }
}

describe('the checkpoint and another instance revoking during a start', () => {
  it('an entry revoked after the starting kernel read the registry, settled before it read the outbox: the checkpoint stays before it, and the next start does not owe it again', async () => {
    const store = new HookedStore();
    const ops = await makeOperators();
    const op = await ops.bearer('operator');
    const a = await boot(store, ops, { ms: 0 });
    let revoked: { event_id: string } | undefined;
    // B loads its registry, then reads the outbox: A revokes in between (no receiver: CLEAN at once)
    store.hook = async () => {
      revoked = (await a.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-between' }, op)).json;
      await a.h.kernel.revocation.idle();
    };
    const b = await boot(store, ops, { ms: 0 });
    expect(a.h.kernel.revocation.propagation.view(revoked!.event_id)[0]?.state).toBe('CLEAN');
    const owedDocs = async () => (await store.listDocuments('ssf_outbox', 1, 1000)).map((d) => JSON.parse(d.body)).filter((e) => e.op === 'owed' && e.event_id === revoked!.event_id);
    expect(await owedDocs()).toHaveLength(1);
    const checkpoint = JSON.parse((await store.latestDocument('ssf_outbox_checkpoint'))?.body ?? '{"from_seq":1}');
    const owedAt = (await store.listDocuments('ssf_outbox', 1, 1000)).find((d) => JSON.parse(d.body).event_id === revoked!.event_id)!.seq;
    expect(checkpoint.from_seq).toBeLessThanOrEqual(owedAt);
    a.h.kernel.stop();
    b.h.kernel.stop();
    const c = await boot(store, ops, { ms: 0 });
    await c.h.kernel.revocation.idle();
    expect(await owedDocs()).toHaveLength(1);
    c.h.kernel.stop();
  });
});
