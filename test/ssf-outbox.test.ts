/**
 * The SSF outbox (docs/revocation.md, "What survives a restart") on embedded libSQL: the shared
 * restart cases (test/contract/ssf-outbox.case.ts), and what the outbox drops, never silently: the
 * SETs of a deleted stream, and SETs unacknowledged past the outbox's maximum age.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import type { OperatorAlert } from '../src/ports/alert.ts';
import { runSsfOutboxCases } from './contract/ssf-outbox.case.ts';
import { makeHarness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';

runSsfOutboxCases('embedded libSQL', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kee-outbox-')), 'kee.db');
  return {
    open: async () => {
      const client = createClient({ url: `file:${file}` });
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
