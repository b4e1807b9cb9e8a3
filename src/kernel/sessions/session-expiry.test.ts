/**
 * Sessions have a maximum lifetime and an idle timeout, measured by the kernel clock (driven by
 * hand here): the kernel closes an expired session itself (SESSION_EXPIRED, then SESSION_COMPLETE
 * and a signed block that verifies offline), a decision in an expired session is refused with
 * SESSION_EXPIRED, and sessions an earlier run left open are expired at the next start.
 */
import { describe, expect, it } from 'vitest';
import { Ed25519Signer, ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { createSystemClock } from '../../adapters/system/clock.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { verifyPackage } from '../audit/verify-package.ts';

const T0 = Date.parse('2026-12-06T00:00:00.000Z');

function setup(sessions: { maxMs?: number; idleMs?: number }, store = new MemoryStore(), signer = new Ed25519Signer(Ed25519Signer.generateSeed()), start = T0, deferRecovery = false, recoveryGate?: () => Promise<unknown>) {
  let now = start;
  const clock = createSystemClock(() => now);
  const h = makeHarness({ store, signer, deps: { clock, options: { sessions, ...(deferRecovery ? { deferRecovery } : {}), ...(recoveryGate ? { recoveryGate } : {}) } } });
  const open = async () => (await h.call('POST', '/v1/sessions', { agent_id: 'agent-1' })).json as { session_id: string; block_id: string };
  const authorize = (id: string) => h.call('POST', `/v1/sessions/${id}/authorize`, agentRead());
  const records = (id: string) => store.rawRecords(id).map((r) => JSON.parse(r.canonical));
  const verified = async (blockId: string) => verifyPackage(await h.kernel.getPackage(blockId), { merkle: h.merkle, verifier: ed25519Verifier }).ok;
  return { h, store, signer, open, authorize, records, verified, advance: (ms: number) => void (now += ms), now: () => now };
}

describe('session lifetime and idle timeout', () => {
  it('closes a session idle past the timeout by itself: SESSION_EXPIRED, then a signed block', async () => {
    const { h, open, authorize, records, verified, advance, store } = setup({ idleMs: 60_000, maxMs: 3_600_000 });
    const s = await open();
    advance(50_000);
    expect((await authorize(s.session_id)).status).toBe(200);
    advance(50_000); // 50 s since the last decision: not idle yet
    await h.kernel.tick();
    expect((await store.getSession(s.session_id))?.status).toBe('OPEN');
    advance(10_000);
    await h.kernel.tick();
    expect((await store.getSession(s.session_id))?.status).toBe('CLOSED');
    const recs = records(s.session_id);
    expect(recs.map((r) => r.ale_type)).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'SESSION_EXPIRED', 'SESSION_COMPLETE']);
    expect(recs[2]).toMatchObject({ reason: 'IDLE', idle_seconds: 60, opened_at: '2026-12-06T00:00:00.000Z', last_activity_at: '2026-12-06T00:00:50.000Z' });
    expect(await verified(s.block_id)).toBe(true);
    const refused = await authorize(s.session_id);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('SESSION_EXPIRED');
  });

  it('closes a session at its maximum lifetime even while it is busy', async () => {
    const { h, open, authorize, records, verified, advance } = setup({ idleMs: 60_000, maxMs: 120_000 });
    const s = await open();
    for (let i = 0; i < 3; i++) {
      advance(39_000);
      expect((await authorize(s.session_id)).status).toBe(200);
    }
    await h.kernel.tick();
    expect(records(s.session_id).at(-1)?.ale_type).toBe('CEDAR_PERMIT');
    advance(3_000);
    // the decision itself finds the session expired: closed first, then refused
    const refused = await authorize(s.session_id);
    expect(refused.json).toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(refused.json.detail).toContain('maximum lifetime');
    expect(records(s.session_id).map((r) => r.ale_type).slice(-2)).toEqual(['SESSION_EXPIRED', 'SESSION_COMPLETE']);
    expect(records(s.session_id).at(-2)).toMatchObject({ reason: 'MAX_LIFETIME', max_seconds: 120 });
    expect(await verified(s.block_id)).toBe(true);
  });

  it('a session closed by its caller is not expired; the kernel journal is never expired', async () => {
    const { h, open, advance, records } = setup({ idleMs: 1_000 });
    const s = await open();
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
    await h.kernel.recordSignerEvent({ event_type: 'TEST_EVENT' });
    advance(5_000);
    await h.kernel.tick();
    expect(records(s.session_id).map((r) => r.ale_type)).toEqual(['SESSION_OPEN', 'SESSION_COMPLETE']);
    const head = await h.kernel.journalHead();
    expect(records(head.open!.session_id).some((r) => r.ale_type === 'SESSION_EXPIRED')).toBe(false);
  });

  it('sessions an earlier run left open are expired at the next start, from their stored records', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const first = setup({ idleMs: 60_000 }, store, signer);
    const idle = await first.open();
    const fresh = await (async () => {
      first.advance(55_000);
      const s = await first.open();
      return s;
    })();
    first.h.kernel.stop(); // a crash: both sessions left open
    const second = setup({ idleMs: 60_000 }, store, signer, T0 + 70_000);
    await second.h.started;
    expect((await store.getSession(idle.session_id))?.status).toBe('CLOSED');
    expect(second.records(idle.session_id).at(-2)).toMatchObject({ ale_type: 'SESSION_EXPIRED', reason: 'IDLE' });
    expect(await second.verified(idle.block_id)).toBe(true);
    // opened 15 s before the restart: still open, and expired by the timer once idle
    expect((await store.getSession(fresh.session_id))?.status).toBe('OPEN');
    second.advance(50_000);
    await second.h.kernel.tick();
    expect((await store.getSession(fresh.session_id))?.status).toBe('CLOSED');
  });

  it('deferred recovery (workerd): the start answers first; a call in a session left open past its limit is still refused, and the recovery closes it', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const first = setup({ idleMs: 60_000 }, store, signer);
    const idle = await first.open();
    const other = await first.open();
    first.h.kernel.stop(); // a crash: both sessions left open
    const second = setup({ idleMs: 60_000 }, store, signer, T0 + 70_000, true);
    await second.h.started;
    // the first call, whether or not the recovery has reached its session yet: SESSION_EXPIRED, never a decision
    const refused = await second.authorize(idle.session_id);
    expect(refused.status).not.toBe(200);
    expect(JSON.stringify(refused.json)).toContain('SESSION_EXPIRED');
    await second.h.kernel.recovered();
    for (const s of [idle, other]) {
      expect((await store.getSession(s.session_id))?.status).toBe('CLOSED');
      expect(second.records(s.session_id).at(-2)).toMatchObject({ ale_type: 'SESSION_EXPIRED', reason: 'IDLE' });
      expect(await second.verified(s.block_id)).toBe(true);
    }
    // a new session works beside it
    expect((await second.authorize((await second.open()).session_id)).status).toBe(200);
  });

  it('deferred recovery behind a gate (the Worker): nothing is recovered before the gate opens, decisions are answered meanwhile, the recovery runs once it opens', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const first = setup({ idleMs: 60_000 }, store, signer);
    const idle = await first.open();
    const untouched = await first.open();
    first.h.kernel.stop(); // a crash: both sessions left open
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const second = setup({ idleMs: 60_000 }, store, signer, T0 + 70_000, true, () => gate);
    await second.h.started;
    const fresh = await second.open();
    expect((await second.authorize(fresh.session_id)).status).toBe(200);
    // the session left open past its limit: refused, though not yet recovered
    const refused = await second.authorize(idle.session_id);
    expect(JSON.stringify(refused.json)).toContain('SESSION_EXPIRED');
    let recovered = false;
    void second.h.kernel.recovered().then(() => (recovered = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(recovered).toBe(false);
    expect((await store.getSession(untouched.session_id))?.status).toBe('OPEN');
    open();
    await second.h.kernel.recovered();
    expect((await store.getSession(untouched.session_id))?.status).toBe('CLOSED');
    expect(second.records(untouched.session_id).at(-2)).toMatchObject({ ale_type: 'SESSION_EXPIRED', reason: 'IDLE' });
    expect(await second.verified(untouched.block_id)).toBe(true);
  });
});
