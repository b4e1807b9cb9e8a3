import { DomainError } from '../errors.ts';
import type { Json } from '../types.ts';

/** The ALE type of what a permitted tool call answered (the MCP gateway, docs/mcp.md). */
export const TOOL_RESULT_ALE = 'TOOL_RESULT';

/**
 * What came back from a permitted call, as digests only: the decision it follows (`decision_seq`,
 * the `ale_seq` of its CEDAR_PERMIT), the tool, and `sha256:` digests of the arguments forwarded
 * and of the result (or the failure) received. Bodies are never recorded.
 */
export type ToolResultReport = {
  decision_seq: number;
  tool: string;
  arguments_digest: string;
  /** `ok`: the upstream answered; `tool_error`: it answered with `isError`; `failed`: no valid answer. */
  outcome: 'ok' | 'tool_error' | 'failed';
  result_digest: string | null;
  /** Why the call failed (`failed` only), one line. */
  failure?: string;
};

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The record fields of a report; INVALID_INPUT for anything malformed (nothing is recorded). */
export function toolResultFields(r: ToolResultReport): Record<string, Json> {
  const bad = (why: string) => new DomainError('INVALID_INPUT', `tool result: ${why}`);
  if (!Number.isSafeInteger(r.decision_seq) || r.decision_seq < 0) throw bad('`decision_seq` is not an ale_seq');
  if (typeof r.tool !== 'string' || r.tool.length === 0 || r.tool.length > 512) throw bad('`tool` is not a tool name');
  if (!DIGEST.test(r.arguments_digest)) throw bad('`arguments_digest` is not a sha256: digest');
  if (r.outcome !== 'ok' && r.outcome !== 'tool_error' && r.outcome !== 'failed') throw bad('`outcome` is not ok, tool_error or failed');
  if (r.result_digest !== null && !DIGEST.test(r.result_digest)) throw bad('`result_digest` is not a sha256: digest');
  const fields: Record<string, Json> = { decision_seq: r.decision_seq, tool: r.tool, arguments_digest: r.arguments_digest, outcome: r.outcome, result_digest: r.result_digest };
  if (r.failure !== undefined) fields.failure = r.failure.slice(0, 512);
  return fields;
}
