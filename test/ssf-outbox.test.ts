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
