import { DomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';

/** The ALE type of what a permitted tool call answered (the MCP gateway, docs/mcp.md). */
export const TOOL_RESULT_ALE = 'TOOL_RESULT';

/**
 * What came back from a permitted call, as digests only: the decision it follows (`decision_seq`,
 * the `ale_seq` of its CEDAR_PERMIT), the tool, and `sha256:` digests of the arguments forwarded
 * and of the result (or the failure) received. Bodies are recorded only when the gateway's
 * configuration asks for them (`record_bodies`, docs/mcp.md): then `arguments` and `result` hold
 * the bodies whose digests the report names, each at most MAX_RECORDED_BODY bytes of JCS, and a
 * body the gateway left out for its size is named in `bodies_omitted`.
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
  /** The arguments forwarded (JCS of it digests to `arguments_digest`), when bodies are recorded. */
  arguments?: Json;
  /** The answer received (JCS of it digests to `result_digest`), when bodies are recorded. */
  result?: Json;
  /** Bodies asked for but left out: larger than MAX_RECORDED_BODY. */
  bodies_omitted?: ('arguments' | 'result')[];
};

/** Most bytes (UTF-8 of its JCS form) a body recorded in a TOOL_RESULT may have: 64 KiB. */
export const MAX_RECORDED_BODY = 65_536;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The record fields of a report; INVALID_INPUT for anything malformed (nothing is recorded). */
export function toolResultFields(r: ToolResultReport, sha256Hex: (text: string) => string): Record<string, Json> {
  const bad = (why: string) => new DomainError('INVALID_INPUT', `tool result: ${why}`);
  if (!Number.isSafeInteger(r.decision_seq) || r.decision_seq < 0) throw bad('`decision_seq` is not an ale_seq');
  if (typeof r.tool !== 'string' || r.tool.length === 0 || r.tool.length > 512) throw bad('`tool` is not a tool name');
  if (!DIGEST.test(r.arguments_digest)) throw bad('`arguments_digest` is not a sha256: digest');
  if (r.outcome !== 'ok' && r.outcome !== 'tool_error' && r.outcome !== 'failed') throw bad('`outcome` is not ok, tool_error or failed');
  if (r.result_digest !== null && !DIGEST.test(r.result_digest)) throw bad('`result_digest` is not a sha256: digest');
  const fields: Record<string, Json> = { decision_seq: r.decision_seq, tool: r.tool, arguments_digest: r.arguments_digest, outcome: r.outcome, result_digest: r.result_digest };
  if (r.failure !== undefined) fields.failure = r.failure.slice(0, 512);
  if (r.arguments !== undefined) fields.arguments = body('arguments', r.arguments, r.arguments_digest);
  if (r.result !== undefined) {
    if (r.result_digest === null) throw bad('`result` without a `result_digest`');
    fields.result = body('result', r.result, r.result_digest);
  }
  if (r.bodies_omitted !== undefined) {
    const o = r.bodies_omitted;
    if (!Array.isArray(o) || o.length > 2 || new Set(o).size !== o.length || !o.every((n) => (n === 'arguments' || n === 'result') && r[n] === undefined)) throw bad('`bodies_omitted` lists `arguments` or `result`, once each, and only bodies not given');
    fields.bodies_omitted = [...o];
  }
  return fields;

  // the body must be the one its digest names: the record never holds a body the digest does not commit to
  function body(name: 'arguments' | 'result', value: Json, digest: string): Json {
    let text: string;
    try {
      text = canonicalJson(value);
    } catch {
      throw bad(`\`${name}\` is not I-JSON`);
    }
    if (new TextEncoder().encode(text).length > MAX_RECORDED_BODY) throw bad(`\`${name}\` is larger than ${MAX_RECORDED_BODY} bytes (JCS)`);
    if (`sha256:${sha256Hex(text)}` !== digest) throw bad(`\`${name}\` does not match its digest`);
    return value;
  }
}
