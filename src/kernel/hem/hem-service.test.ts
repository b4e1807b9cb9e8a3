import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { Json, Session } from '../types.ts';
import { HemService, type HemNotice } from './hem-service.ts';

const session: Session = { session_id: '00000000-0000-4000-8000-000000000001', block_id: 'a'.repeat(32), agent_id: 'master-ai', status: 'OPEN', created_at: '2026-12-06T00:00:00.000Z' };
const gold = { principal: { type: 'Agent', id: 'master-ai' }, action: { type: 'Action', id: 'classify_gold' }, resource: { type: 'Incident', id: 'm7.2' }, context: {} };

function service(store = new MemoryStore()) {
  let now = Date.parse('2026-12-06T00:00:00.000Z');
  const journal: { ale_type: string; fields: Record<string, Json> }[] = [];
  const hem = new HemService({
    store,
    clock: { nowIso: () => new Date(now).toISOString() },
    journal: { record: async (ale_type: string, fields: Record<string, Json>) => void journal.push({ ale_type, fields }) } as unknown as KernelJournal,
    telemetry: { span: async (_n, _o, fn) => fn({ setAttributes: () => undefined }) },
    kernelId: 'k',
    io: (op) => op(),
    timeoutS: 60,
  });
  return { hem, journal, store, advance: (ms: number) => void (now += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('HemService', () => {
  it('the timer resolves an unanswered escalation TIMEOUT_DENY at its expiry, without a read, and notifies', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { hem, journal, advance } = service();
    const notices: HemNotice[] = [];
    hem.subscribe((n) => notices.push(n));
    hem.startTimers();
    const planned = hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    const opened = await hem.open(planned.escalation, session, 3);
    expect(opened.expires_at).toBe('2026-12-06T00:01:00.000Z');
    advance(59_000);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(journal.map((r) => r.ale_type)).toEqual(['HEM_TRIGGERED']);
    advance(1_000);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(journal.map((r) => [r.ale_type, r.fields.hem_resolution])).toEqual([
      ['HEM_TRIGGERED', 'PENDING'],
      ['HEM_RESOLVED', 'TIMEOUT_DENY'],
    ]);
    expect(notices.map((n) => [n.event, n.escalation.status])).toEqual([
      ['HEM_TRIGGERED', 'PENDING'],
      ['HEM_RESOLVED', 'TIMEOUT_DENY'],
    ]);
    hem.stop();
  });

  it('a DENY planned while another of its intent is opening waits for it; an abandoned plan fails its waiters and frees the intent', async () => {
    const { hem, journal } = service();
    const first = hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    const second = hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    expect(second).toMatchObject({ isNew: false, escalation: { hem_id: first.escalation.hem_id } });
    const opened = await hem.open(first.escalation, session, 7);
    await expect(second.opened).resolves.toMatchObject({ hem_id: first.escalation.hem_id, ale_seq: 7 });
    expect(opened.hem_id).toBe(first.escalation.hem_id);
    expect(journal.length).toBe(1);

    const other = { ...gold, resource: { type: 'Incident', id: 'm8.0' } };
    const lost = hem.plan(session, other, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    const waiter = hem.plan(session, other, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    hem.abandon(lost.escalation, new Error('the DENY record was not written'));
    await expect(waiter.opened).rejects.toThrow('the DENY record was not written');
    const again = hem.plan(session, other, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    expect(again.isNew).toBe(true);
    expect(again.escalation.hem_id).not.toBe(lost.escalation.hem_id);
  });

  it('a repeated DENY names the PENDING escalation; a resolved one is not reused', async () => {
    const { hem } = service();
    const first = hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1');
    expect(first.isNew).toBe(true);
    await hem.open(first.escalation, session, 3);
    expect(hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1')).toMatchObject({ isNew: false, escalation: { hem_id: first.escalation.hem_id } });
    expect(hem.plan(session, { ...gold, resource: { type: 'Incident', id: 'other' } }, 'tier0b-no-auto-gold', 'HEM-HIGH-1').isNew).toBe(true);
    await hem.resolve(first.escalation.hem_id, 'REJECTED', 'duty-officer', null);
    expect(hem.plan(session, gold, 'tier0b-no-auto-gold', 'HEM-HIGH-1').isNew).toBe(true);
  });

  it('an overdue escalation is replaced by a new one for the same intent, and still resolves TIMEOUT_DENY', async () => {
    const { hem, advance } = service();
    const first = hem.plan(session, gold, 'p', 'HEM-HIGH-1').escalation;
    await hem.open(first, session, 3);
    advance(60_000);
    const second = hem.plan(session, gold, 'p', 'HEM-HIGH-1');
    expect(second.isNew).toBe(true);
    await hem.open(second.escalation, session, 4);
    const all = await hem.list();
    expect(all.map((e) => [e.hem_id, e.status])).toEqual([
      [second.escalation.hem_id, 'PENDING'],
      [first.hem_id, 'TIMEOUT_DENY'],
    ]);
  });

  it('a log with a gap or a malformed entry fails closed (AUDIT_TAMPERED)', async () => {
    const store = new MemoryStore();
    const { hem } = service(store);
    await hem.open(hem.plan(session, gold, 'p', 'HEM-HIGH-1').escalation, session, 3);
    await store.putDocument({ kind: 'hem_event', seq: 3, docId: 'x', body: '{}', createdAt: '2026-12-06T00:00:00.000Z' });
    await expect(service(store).hem.refresh()).rejects.toMatchObject({ code: 'AUDIT_TAMPERED', message: 'the HEM event log lacks entry 2' });
    await store.putDocument({ kind: 'hem_event', seq: 2, docId: 'y', body: '{"seq":2,"event":"RESOLVED"}', createdAt: '2026-12-06T00:00:00.000Z' });
    await expect(service(store).hem.refresh()).rejects.toMatchObject({ code: 'AUDIT_TAMPERED', message: 'the HEM event log entry 2 is malformed' });
  });
});
