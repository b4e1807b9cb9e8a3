import { describe, expect, it } from 'vitest';
import type { AuthorizeResult } from '../authorize/decide.ts';
import type { AuthorizationRequest, Session } from '../types.ts';
import { DecisionFeed, type DecisionEvent } from './feed.ts';

const session: Session = { session_id: '00000000-0000-4000-8000-000000000001', block_id: 'b'.repeat(32), agent_id: 'a', status: 'OPEN', created_at: '2026-12-06T00:00:00.000Z' };
const request: AuthorizationRequest = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Doc', id: 'd' }, context: {} };
const result = (seq: number): AuthorizeResult => ({ decision: 'PERMIT', ale_seq: seq, policy_ids: ['p'], cedar_policy_hash: 'h', reasons: [] });

describe('DecisionFeed', () => {
  it('keeps the last `keep` decisions oldest first, before and after the ring wraps, and tells every listener', () => {
    const feed = new DecisionFeed(3);
    const heard: number[] = [];
    const off = feed.subscribe((e: DecisionEvent) => heard.push(e.ale_seq));
    const seqs = (): number[] => feed.latest().map((e) => e.ale_seq);
    feed.publish('2026-12-06T00:00:00.000Z', session, [request, request], [result(1), result(2)], 1.23456);
    expect(seqs()).toEqual([1, 2]);
    expect(feed.latest()[0]).toMatchObject({ action: 'Action::"read"', resource: 'Doc::"d"', decision: 'PERMIT', latency_ms: 1.235 });
    feed.publish('2026-12-06T00:00:01.000Z', session, [request], [result(3)], 1);
    expect(seqs()).toEqual([1, 2, 3]);
    for (let seq = 4; seq <= 8; seq++) {
      feed.publish('2026-12-06T00:00:02.000Z', session, [request], [result(seq)], 1);
      expect(seqs()).toEqual([seq - 2, seq - 1, seq]);
    }
    off();
    feed.publish('2026-12-06T00:00:03.000Z', session, [request], [result(9)], 1);
    expect(heard).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seqs()).toEqual([7, 8, 9]);
  });
});
