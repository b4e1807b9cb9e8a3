/**
 * Quorum failure (KEE-1 §7.4) with a FROST signer whose participants can be switched off:
 * SIGNING_SUSPENDED with no block, the unavailable participants named in the journal and in
 * an alert, closes that wait and retry, recovery by itself (probes), and closes that gave up
 * completed in the background.
 */
import { describe, expect, it } from 'vitest';
import { runDkg } from '../../adapters/frost/ceremony.ts';
import { FrostSigner } from '../../adapters/frost/frost-signer.ts';
import type { Participant, Round2Request } from '../../adapters/frost/participant.ts';
import type { OperatorAlert } from '../../ports/alert.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { until } from '../../../test/support/until.ts';
import { loadKeeWasm } from '../../../test/support/wasm.ts';

const wasm = loadKeeWasm();

class Switchable implements Participant {
  readonly id: number;
  down = false;
  corrupt = false;
  /** Health checks (the monitor's probes) and signing rounds asked of this participant, answered or not. */
  probes = 0;
  rounds = 0;
  private readonly inner: Participant;
  constructor(inner: Participant) {
    this.inner = inner;
    this.id = inner.id;
  }
  private check() {
    if (this.down) throw new Error('connection refused');
  }
  async round1(s: Uint8Array) {
    this.rounds++;
    this.check();
    return this.inner.round1(s);
  }
  async round2(r: Round2Request) {
    this.check();
    const share = await this.inner.round2(r);
    // a different byte per participant: two corruptions must not cancel out in the aggregate
    if (this.corrupt) share[this.id] = (share[this.id] as number) ^ 0x40;
    return share;
  }
  async cancel(s: Uint8Array) {
    return this.inner.cancel(s);
  }
  async health() {
    this.probes++;
    this.check();
  }
}

function setup(signing: { closeRetryMs?: number; probeIntervalMs?: number; healthIntervalMs?: number } = {}) {
  const { participants, publicPackage } = runDkg(wasm);
  const ps = participants.map((p) => new Switchable(p));
  const signer = new FrostSigner({ wasm, publicPackage, participants: ps });
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({ deps: { signer, alerts: { alert: (a) => void alerts.push(a) }, options: { signing } } });
  signer.onCulprits = (ids, message) => void h.kernel.reportSignerFault(ids, message);
  const journal = () => {
    const j = h.store.allSessions().find((x) => x.agent_id === 'kee-kernel');
    return j ? h.store.rawRecords(j.session_id).map((r) => JSON.parse(r.canonical)) : [];
  };
  const open = async () => (await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json as { session_id: string; block_id: string };
  return { h, ps, alerts, journal, open };
}


describe('signing quorum failure', () => {
  it('suspends with no block, names the unavailable participants in the journal and an alert, and never signs with fewer than t', async () => {
    const { h, ps, alerts, journal, open } = setup();
    const s = await open();
    ps[0]!.down = true;
    ps[2]!.down = true;
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 'SIGNER_FAILED' });
    expect(r.json.detail).toContain('participants 1, 3 did not answer');
    expect(r.headers.get('retry-after')).not.toBeNull();
    expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status).toBe(404);
    expect((await h.call('GET', '/healthz')).json.state).toBe('SIGNING_SUSPENDED');
    expect(h.store.allSessions().find((x) => x.session_id === s.session_id)?.status).toBe('CLOSING');
    expect(journal().at(-1)).toMatchObject({
      ale_type: 'KERNEL_AUDIT_ANOMALY',
      event_type: 'SIGNING_QUORUM_LOST',
      unavailable_participants: [1, 3],
      threshold: 2,
      participants: 3,
      available_count: 1,
    });
    expect(alerts).toEqual([expect.objectContaining({ alert: 'SIGNING_QUORUM_LOST', severity: 'critical', unavailable_participants: [1, 3], available_count: 1, threshold: 2 })]);
    // the checkpoint is not signed either
    expect((await h.call('GET', '/v1/audit/checkpoint')).status).toBe(503);
    // a second failure does not journal or alert again
    expect(alerts).toHaveLength(1);
    expect(journal().filter((x) => x.event_type === 'SIGNING_QUORUM_LOST')).toHaveLength(1);
  });

  it('recovers by itself: the probe sees t participants again, leaves SIGNING_SUSPENDED and completes the close that gave up', async () => {
    const { h, ps, alerts, journal, open } = setup({ probeIntervalMs: 50 });
    h.kernel.startSigningMonitor();
    try {
      const s = await open();
      ps[1]!.down = true;
      ps[2]!.down = true;
      expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(503);
      // the probe runs (twice) while quorum still lacks: it does not leave SIGNING_SUSPENDED
      const probed = ps[0]!.probes;
      await until('two probes during the suspension', () => ps[0]!.probes >= probed + 2);
      expect((await h.call('GET', '/healthz')).json.state).toBe('SIGNING_SUSPENDED');
      ps[2]!.down = false;
      await until('the block of the close that gave up', async () => (await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status === 200);
      expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
      const block = await h.call('GET', `/v1/audit/blocks/${s.block_id}`);
      expect(block.status).toBe(200);
      expect(block.json.record_count).toBe(2);
      expect(alerts.map((a) => a.alert)).toEqual(['SIGNING_QUORUM_LOST', 'SIGNING_QUORUM_RESTORED']);
      expect(journal().filter((x) => x.ale_type === 'KERNEL_AUDIT_ANOMALY').map((x) => x.event_type)).toEqual(['SIGNING_QUORUM_LOST', 'SIGNING_QUORUM_RESTORED']);
    } finally {
      h.kernel.stop();
    }
  });

  it('a close during a suspension waits and retries, and succeeds when quorum returns within the window', async () => {
    const { h, ps, open } = setup({ closeRetryMs: 5_000 });
    const s = await open();
    ps[0]!.down = true;
    ps[1]!.down = true;
    // participant 2 comes back once the close has tried (and failed) at least once
    void until('a first signing round of the close', () => ps[1]!.rounds >= 1).then(() => (ps[1]!.down = false));
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(200);
    expect(r.json.block_id).toBe(s.block_id);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
  });

  it('a close that outlasts the window answers 503 SIGNER_FAILED and leaves the session CLOSING', async () => {
    const { h, ps, open } = setup({ closeRetryMs: 300 });
    const s = await open();
    ps[0]!.down = true;
    ps[1]!.down = true;
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('SIGNER_FAILED');
    expect(h.store.allSessions().find((x) => x.session_id === s.session_id)?.status).toBe('CLOSING');
    expect(h.store.rawRecords(s.session_id).filter((x) => x.aleType === 'SESSION_COMPLETE')).toHaveLength(1);
  });

  it('a participant with a corrupt share is named and left out; the other two sign', async () => {
    const { h, ps, alerts, journal, open } = setup();
    await h.kernel.start(); // the start-up manifest is signed by all three first
    ps[0]!.corrupt = true;
    const s = await open();
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(200);
    expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status).toBe(200);
    await until('FROST_INVALID_SHARE journaled', () => journal().find((x) => x.event_type === 'FROST_INVALID_SHARE'));
    expect(journal().find((x) => x.event_type === 'FROST_INVALID_SHARE')).toMatchObject({ severity: 'CRITICAL', culprit_participants: [1], detail: 'frost participants 1 sent invalid signature shares' });
    expect(alerts).toEqual([expect.objectContaining({ alert: 'FROST_INVALID_SHARE', culprit_participants: [1] })]);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    // two corrupt participants: fewer than t honest ones, no signature
    ps[1]!.corrupt = true;
    const s2 = await open();
    const r2 = await h.call('POST', `/v1/sessions/${s2.session_id}/close`);
    expect(r2.status).toBe(503);
    expect(r2.json.detail).toBe('frost participants 1, 2 sent invalid signature shares');
    expect(journal().at(-1)).toMatchObject({ event_type: 'SIGNING_QUORUM_LOST', culprit_participants: [1, 2] });
  });

  it('each soos.kia.sign span carries the KIA key id and the frost threshold config', async () => {
    const { h, open } = setup();
    const s = await open();
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
    const span = h.spans.getFinishedSpans().find((x) => x.name === 'soos.kia.sign');
    expect(span?.attributes).toMatchObject({ 'soos.governance.kia_key_id': h.kernel.kernelId, 'soos.governance.frost_threshold_config': 'frost:t-of-n:2-3' });
  });

  it('the health check alerts a degraded signer, and a quorum loss before any signature is needed', async () => {
    const { h, ps, alerts, journal } = setup();
    await h.kernel.start(); // its ACD startup check needs the quorum: the signers go down after it
    await h.kernel.probeSigner();
    expect(alerts).toEqual([]);
    ps[2]!.down = true;
    await h.kernel.probeSigner();
    await h.kernel.probeSigner();
    expect(alerts).toEqual([expect.objectContaining({ alert: 'SIGNING_DEGRADED', severity: 'warning', unavailable_participants: [3] })]);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    ps[0]!.down = true;
    await h.kernel.probeSigner();
    expect((await h.call('GET', '/healthz')).json.state).toBe('SIGNING_SUSPENDED');
    expect(alerts.at(-1)).toMatchObject({ alert: 'SIGNING_QUORUM_LOST', unavailable_participants: [1, 3] });
    expect(journal().at(-1)).toMatchObject({ event_type: 'SIGNING_QUORUM_LOST', unavailable_participants: [1, 3] });
    ps[0]!.down = false;
    await h.kernel.probeSigner();
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
  });
});
