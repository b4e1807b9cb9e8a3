import type { StoredRecord } from '../../ports/storage.ts';
import { DomainError } from '../errors.ts';
import type { AuditRecord } from '../types.ts';
import type { AuthorizeResult } from '../authorize/decide.ts';
import type { AuthorizationRequest } from '../types.ts';

/** Most PERMITs remembered per session (the oldest is forgotten first: the store answers for it). */
const PER_SESSION = 256;
/** Most PERMITs remembered in all (all are forgotten past it: the store answers for them). */
const TOTAL = 100_000;

/**
 * Binds each TOOL_RESULT to the decision it follows: `decision_seq` must name a CEDAR_PERMIT of
 * the same session, for the same tool (`Tool::"<tool>"` when the record names its resource), not
 * already followed by a TOOL_RESULT. The PERMITs of open sessions are remembered as they are
 * decided (no read on the gateway's hot path); one the kernel does not remember (a restart,
 * another instance on the same store, an evicted one) is looked up in the session's stored
 * records, the evidence itself.
 */
export class ToolPermits {
  private readonly open = new Map<string, Map<number, string>>();
  private total = 0;
  private readonly records: (sessionId: string) => Promise<StoredRecord[]>;

  /** `records`: the session's stored records, in `ale_seq` order. */
  constructor(records: (sessionId: string) => Promise<StoredRecord[]>) {
    this.records = records;
  }

  /** Remembers the PERMITs of `Tool` resources among decided `results` (same order as `requests`). */
  decided(sessionId: string, requests: readonly AuthorizationRequest[], results: readonly AuthorizeResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as AuthorizeResult;
      const resource = (requests[i] as AuthorizationRequest).resource;
      // only a PERMIT for a Tool can be followed by a TOOL_RESULT
      if (r.decision !== 'PERMIT' || resource.type !== 'Tool') continue;
      if (this.total >= TOTAL) {
        this.open.clear();
        this.total = 0;
      }
      let permits = this.open.get(sessionId);
      if (!permits) {
        permits = new Map();
        this.open.set(sessionId, permits);
      }
      if (permits.size >= PER_SESSION) {
        permits.delete(permits.keys().next().value as number);
        this.total--;
      }
      permits.set(r.ale_seq, `Tool::${resource.id}`);
      this.total++;
    }
  }

  /** Forgets a closed session. */
  closed(sessionId: string): void {
    this.total -= this.open.get(sessionId)?.size ?? 0;
    this.open.delete(sessionId);
  }

  /**
   * Checks that `decisionSeq` is a PERMIT of the session for `tool`, not yet followed by a
   * TOOL_RESULT, and marks it followed; CONFLICT otherwise (nothing is recorded then). The mark
   * is taken before the record is written: a report whose write fails is not accepted again.
   */
  async take(sessionId: string, decisionSeq: number, tool: string): Promise<void> {
    const permits = this.open.get(sessionId);
    const remembered = permits?.get(decisionSeq);
    if (remembered !== undefined) {
      permits?.delete(decisionSeq);
      this.total--;
      if (remembered !== `Tool::${tool}`) throw mismatch(decisionSeq, `is a PERMIT for \`${remembered.slice(0, 200)}\`, not for \`Tool::${tool.slice(0, 200)}\``);
      return;
    }
    let decision: AuditRecord | null = null;
    for (const stored of await this.records(sessionId)) {
      if (stored.aleSeq === decisionSeq) decision = JSON.parse(stored.canonical) as AuditRecord;
      else if (stored.aleType === 'TOOL_RESULT' && (JSON.parse(stored.canonical) as { decision_seq?: unknown }).decision_seq === decisionSeq) throw mismatch(decisionSeq, 'already has its TOOL_RESULT');
    }
    if (decision === null) throw mismatch(decisionSeq, 'is no record of this session');
    if (decision.ale_type !== 'CEDAR_PERMIT') throw mismatch(decisionSeq, `is a ${String(decision.ale_type)} record, not a CEDAR_PERMIT`);
    const resource = decision.resource as { type?: unknown; id?: unknown } | undefined;
    // a minimised record (`record_subjects: digest`) names the resource type only
    const named = resource === undefined ? `${String(decision.resource_type)}::` : `${String(resource.type)}::${String(resource.id)}`;
    if (resource === undefined ? decision.resource_type !== 'Tool' : named !== `Tool::${tool}`) throw mismatch(decisionSeq, `is a PERMIT for \`${named.slice(0, 200)}\`, not for \`Tool::${tool.slice(0, 200)}\``);
  }
}

function mismatch(seq: number, why: string): DomainError {
  return new DomainError('CONFLICT', `tool result: \`decision_seq\` ${seq} ${why}: a TOOL_RESULT follows a PERMIT of its session, once`);
}
