import type { AuthorizeResult } from '../authorize/decide.ts';
import type { AuthorizationRequest, Session } from '../types.ts';

/** One decision as the live view shows it (no context, no entities, no credential). */
export type DecisionEvent = {
  at: string;
  session_id: string;
  block_id: string;
  agent_id: string;
  ale_seq: number;
  principal: string;
  action: string;
  resource: string;
  decision: AuthorizeResult['decision'];
  /** The determining policies (empty for a default DENY). */
  policy_ids: string[];
  /** Wall time of the call that decided it (batch: the whole call), in milliseconds. */
  latency_ms: number;
};

export type DecisionListener = (event: DecisionEvent) => void;

/**
 * In-memory fan-out of decisions to live subscribers (the console's stream), with the last
 * `keep` decisions for a subscriber that just arrived. Nothing here is evidence: the records are
 * in the audit log; a slow or failing listener never delays or fails a decision.
 */
export class DecisionFeed {
  private readonly listeners = new Set<DecisionListener>();
  /** The last `keep` decisions, a ring: `next` is where the next one goes (the oldest once full). */
  private readonly recent: DecisionEvent[] = [];
  private next = 0;

  private readonly keep: number;

  constructor(keep = 200) {
    this.keep = keep;
  }

  /** Adds a listener; the returned function removes it. */
  subscribe(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The last decisions, oldest first. */
  latest(): DecisionEvent[] {
    return this.recent.length < this.keep ? [...this.recent] : [...this.recent.slice(this.next), ...this.recent.slice(0, this.next)];
  }

  /** Publishes the decisions of one call. */
  publish(at: string, session: Session, requests: readonly AuthorizationRequest[], results: readonly AuthorizeResult[], latencyMs: number): void {
    results.forEach((r, i) => {
      const q = requests[i] as AuthorizationRequest;
      const event: DecisionEvent = {
        at,
        session_id: session.session_id,
        block_id: session.block_id,
        agent_id: session.agent_id,
        ale_seq: r.ale_seq,
        principal: ref(q.principal),
        action: ref(q.action),
        resource: ref(q.resource),
        decision: r.decision,
        policy_ids: r.policy_ids,
        latency_ms: Math.round(latencyMs * 1000) / 1000,
      };
      if (this.recent.length < this.keep) this.recent.push(event);
      else this.recent[this.next] = event;
      this.next = (this.next + 1) % this.keep;
      for (const l of this.listeners) {
        try {
          l(event);
        } catch {
          // a listener's failure is its own: the decision stands
        }
      }
    });
  }
}

function ref(e: { type: string; id: string }): string {
  return `${e.type}::"${e.id}"`;
}
