/**
 * What the gateway needs from Kee, embedded or remote: one Kee session per MCP session of the
 * agent, a decision per `tools/call` (recorded before it is returned), a digest record of what a
 * permitted call answered, and the close into a signed Session Block. Any rejection is a refusal
 * of the call (fail closed).
 */
import type { AuthorizationRequest } from '../kernel/types.ts';
import type { ToolResultReport } from '../kernel/tool-results/tool-result.ts';

/** The human escalation a DENY opened or a retry named (docs/hem.md): what the gateway passes on. */
export type ToolEscalation = { hem_id: string; hem_class: string; status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'TIMEOUT_DENY'; expires_at: string };

export type ToolDecision = { decision: 'PERMIT' | 'DENY'; ale_seq: number; policy_ids: string[]; reasons: string[]; escalation?: ToolEscalation };

export interface GovernedSession {
  readonly sessionId: string;
  readonly blockId: string;
  authorize(request: AuthorizationRequest): Promise<ToolDecision>;
  /**
   * Records the digests (and bodies when asked) of a permitted call's answer, durably.
   * `shareCommit`: the record may wait briefly for the session's next record to share a commit
   * (embedded); `queued` is called once the record has its place before any later record of the session.
   */
  recordResult(report: ToolResultReport, options?: { shareCommit?: boolean; queued?: () => void }): Promise<void>;
  close(): Promise<{ block_id: string }>;
}

export interface Governor {
  /** `remote` or `embedded`, for logs. */
  readonly mode: string;
  readonly agentId: string;
  open(): Promise<GovernedSession>;
}

/** A decision answer in the shape the gateway trusts, or an Error: anything else is a refusal. */
export function checkedDecision(value: unknown): ToolDecision {
  const v = (value ?? {}) as Record<string, unknown>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if ((v.decision !== 'PERMIT' && v.decision !== 'DENY') || !Number.isSafeInteger(v.ale_seq) || !strings(v.policy_ids) || !strings(v.reasons)) throw new Error('the kernel answered a malformed decision');
  const decision: ToolDecision = { decision: v.decision, ale_seq: v.ale_seq as number, policy_ids: v.policy_ids as string[], reasons: v.reasons as string[] };
  if (v.escalation !== undefined) decision.escalation = checkedEscalation(v.escalation);
  return decision;
}

const ESCALATION_STATUSES: readonly string[] = ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'];

function checkedEscalation(value: unknown): ToolEscalation {
  const e = (value ?? {}) as Record<string, unknown>;
  const text = (x: unknown) => typeof x === 'string' && x.length > 0 && x.length <= 256 && !/\p{Cc}/u.test(x);
  if (!text(e.hem_id) || !text(e.hem_class) || !ESCALATION_STATUSES.includes(e.status as string) || !text(e.expires_at)) throw new Error('the kernel answered a malformed escalation');
  return { hem_id: e.hem_id as string, hem_class: e.hem_class as string, status: e.status as ToolEscalation['status'], expires_at: e.expires_at as string };
}
