import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import type { Session } from '../src/kernel/types.ts';
import { isDomainError } from '../src/kernel/errors.ts';
import type { AuthorizationRequest } from '../src/kernel/types.ts';
import type { PolicyEngine } from '../src/ports/policy.ts';
import { engineFactory, makeHarness } from './support/harness.ts';
import { candidate, INVALID_POLICIES, journal, probe, records } from './support/policy-sets.ts';

/**
 * Hot-swap load test (issue 5, P1): many clients across many sessions authorize without pause
 * while policy sets are swapped one after another (each set decides the probe and its own
 * marker differently, and has its own hash); an invalid set is submitted in the middle. No
 * timing is asserted, only what every request got and what every record says.
 */

const SESSIONS = 16;
const CLIENTS_PER_SESSION = 8;
const SWAPS = 20;
const INVALID_AT = 10;

/** The i-th request of a client: the probe, a read, or some version's marker action. */
function requestFor(client: number, i: number): AuthorizationRequest {
  switch ((client + i) % 4) {
    case 0:
      return probe(`agent-${client}`);
    case 1:
      return { principal: { type: 'Agent', id: `agent-${client}` }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: `d${i}` }, context: {} };
    default: {
      const v = (client * 7 + i) % (SWAPS + 1);
      return { principal: { type: 'Agent', id: `marker-${v}` }, action: { type: 'Action', id: 'mark' }, resource: { type: 'Dataset', id: 'd' }, context: {} };
    }
  }
}

/** A store whose session reads take a timer turn, as real I/O does: swaps land between a request's awaits. */
class SlowReadStore extends MemoryStore {
  override async getSession(sessionId: string): Promise<Session | null> {
    await new Promise((r) => setTimeout(r, 0));
    return super.getSession(sessionId);
  }
}

describe('policy hot swap under load', () => {
  it('decides every request by exactly one set, records its hash, and keeps serving through an invalid set', async () => {
    const h = makeHarness({ store: new SlowReadStore() });
    await h.kernel.start();
    // the epoch hook stands in for the GEC Manifest: an asynchronous prepare, a synchronous commit
    let manifestHash = h.kernel.activePolicy().cedarPolicyHash;
    h.kernel.onPolicyEpoch(async (next) => {
      await new Promise((r) => setTimeout(r, 0));
      return () => {
        manifestHash = next.cedarPolicyHash;
      };
    });

    // offline engines for every set, keyed by hash: the oracle for every record
    const factory = engineFactory();
    const oracle = new Map<string, { version: number; engine: PolicyEngine }>();
    const v0 = factory.load(DEFAULT_CAP_PROFILE);
    oracle.set(v0.active().cedarPolicyHash, { version: 0, engine: v0 });
    for (let v = 1; v <= SWAPS; v++) {
      const e = factory.load(candidate(v));
      oracle.set(e.active().cedarPolicyHash, { version: v, engine: e });
    }
    expect(oracle.size).toBe(SWAPS + 1);

    const sessions: Session[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(await h.kernel.openSession(`agent-${i}`));

    type Sent = { client: number; sessionId: string; request: AuthorizationRequest; decision: string; aleSeq: number; hash: string };
    const sent: Sent[] = [];
    let swapping = true;
    const client = async (c: number, first: () => void) => {
      const session = sessions[c % SESSIONS]!;
      let i = 0;
      const once = async () => {
        const request = requestFor(c, i++);
        const r = await h.kernel.authorize(session.session_id, request);
        sent.push({ client: c, sessionId: session.session_id, request, decision: r.decision, aleSeq: r.ale_seq, hash: r.cedar_policy_hash });
      };
      await once();
      first();
      while (swapping) await once();
      // one more after the last swap: decided by the last set
      await once();
    };

    const firsts: Promise<void>[] = [];
    const clients: Promise<void>[] = [];
    for (let c = 0; c < SESSIONS * CLIENTS_PER_SESSION; c++) {
      let done!: () => void;
      firsts.push(new Promise<void>((r) => (done = r)));
      clients.push(client(c, done));
    }

    const swapper = (async () => {
      await Promise.all(firsts); // every client has a decision by the built-in set
      for (let v = 1; v <= SWAPS; v++) {
        if (v === INVALID_AT) {
          const before = h.kernel.activePolicy();
          const err = await h.kernel.activatePolicy({ ...candidate(v), policies: INVALID_POLICIES }).catch((e) => e);
          expect(isDomainError(err, 'INVALID_INPUT')).toBe(true);
          expect(h.kernel.activePolicy()).toEqual(before);
          // the old set is still serving
          const check = await h.kernel.authorize(sessions[0]!.session_id, probe());
          expect(check.cedar_policy_hash).toBe(before.cedarPolicyHash);
        }
        const a = await h.kernel.activatePolicy(candidate(v));
        expect(a.version).toBe(v);
        expect(manifestHash).toBe(a.cedarPolicyHash);
      }
      swapping = false;
    })();
    await Promise.all([swapper, ...clients]);

    // every request got a decision, and its record says what its set decides
    const total = sent.length;
    expect(total).toBeGreaterThan(SESSIONS * CLIENTS_PER_SESSION * 2);
    let stored = 0;
    const usedVersions = new Set<number>();
    const bySession = new Map<string, Record<string, any>[]>();
    for (const s of sessions) {
      const recs = records(h, s.session_id);
      bySession.set(s.session_id, recs);
      stored += recs.filter((r) => r.ale_type === 'CEDAR_PERMIT' || r.ale_type === 'CEDAR_DENY').length;
    }
    // one record per request (+1: the check made while the invalid set was refused)
    expect(stored).toBe(total + 1);
    const lastVersion = new Map<number, number>();
    for (const s of sent) {
      const rec = bySession.get(s.sessionId)![s.aleSeq - 1]!;
      expect(rec.ale_seq).toBe(s.aleSeq);
      const set = oracle.get(rec.cedar_policy_hash);
      expect(set, `record ${s.sessionId}/${s.aleSeq} names an unknown set`).toBeDefined();
      expect(rec.cedar_policy_hash).toBe(s.hash);
      expect(rec.cap_profile_version).toBe(set!.version);
      const offline = set!.engine.evaluate(s.request);
      expect(rec.decision).toBe(offline.decision);
      expect(s.decision).toBe(offline.decision);
      expect(rec.policy_ids).toEqual(offline.policyIds);
      usedVersions.add(set!.version);
      // a client's requests are sequential: it never sees an older set after a newer one
      expect(set!.version).toBeGreaterThanOrEqual(lastVersion.get(s.client) ?? 0);
      lastVersion.set(s.client, set!.version);
    }
    expect(usedVersions.has(0)).toBe(true);
    expect(usedVersions.has(SWAPS)).toBe(true);

    // the journal: every activation with old and new hashes chained, and the one rejection
    const j = journal(h);
    const activations = j.filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED');
    expect(activations.map((r) => r.cap_profile_version)).toEqual(Array.from({ length: SWAPS }, (_, i) => i + 1));
    activations.forEach((r, i) => {
      expect(oracle.get(r.cedar_policy_hash)?.version).toBe(i + 1);
      expect(oracle.get(r.previous_cedar_policy_hash)?.version).toBe(i);
    });
    const rejected = j.filter((r) => r.event_type === 'POLICY_ACTIVATION_REJECTED');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ code: 'INVALID_INPUT', candidate_version: INVALID_AT, active_version: INVALID_AT - 1 });
  }, 120_000);
});
