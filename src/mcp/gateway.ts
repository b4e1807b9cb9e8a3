/**
 * One MCP session of the agent, served by the official SDK's low-level `Server`: `tools/list`
 * answers the union of the upstreams' tools (`upstreams.ts`), and every `tools/call` is
 * projected (`projection.ts`), authorized and recorded in the session's Kee session before
 * anything reaches the upstream. DENY, a projection with problems, any kernel error, an upstream
 * that is down, and an upstream answer the SDK refuses as malformed are all tool errors (MCP
 * `isError` results) and nothing is forwarded or returned from upstream. A permitted call's
 * answer is recorded as digests (TOOL_RESULT) before the agent sees it; if that record cannot be
 * written the answer is withheld. Closing the MCP session closes the Kee session into its signed
 * Session Block.
 *
 * A DENY that opened a human escalation (HEM) is a tool error naming it; a client that supports
 * form elicitation is first asked whether to retry once an approver answered (the user cannot
 * approve: only an approver can, on the kernel). The identical call (same tool, same arguments
 * digest) is sent again naming the escalation's `hem_id`, so an approved escalation permits it.
 * `tools/list` leaves out the tools `deps.visible` rejects (`tool-visibility.ts`); with
 * `deps.changes` the session declares `tools.listChanged` and is told when that answer changes.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../kernel/jcs.ts';
import { MAX_RECORDED_BODY, type ToolResultReport } from '../kernel/tool-results/tool-result.ts';
import type { AuthorizationRequest, Json } from '../kernel/types.ts';
import type { GovernedSession, Governor, ToolDecision, ToolEscalation } from './governor.ts';
import { jsonDigest, projectArguments } from './projection.ts';
import type { ToolListNotifier } from './tool-list-changes.ts';
import { GATEWAY_VERSION, type Catalog, type GatewayTool } from './upstreams.ts';

export type GatewayDeps = {
  governor: Governor;
  catalog: Catalog;
  sha256: (bytes: Uint8Array) => Uint8Array;
  log: (line: string) => void;
  /** Whether `tools/list` offers a tool (default: every tool); see `tool-visibility.ts`. */
  visible?: (tool: GatewayTool) => boolean;
  /** Per upstream call (default 60 s): no answer in time is a failed call. */
  callTimeoutMs?: number;
  /** Tells this session of changes to its `tools/list` answer (`tool-list-changes.ts`). */
  changes?: ToolListNotifier;
  /**
   * When a call's TOOL_RESULT must be durable (config `result_records`): `before_answer`
   * (default) before the agent gets the answer; `with_next_call` before anything of the
   * session's next call is forwarded (and before the session closes), sharing that call's
   * decision commit: the answer goes to the agent once the record is queued (docs/mcp.md).
   */
  resultRecords?: 'before_answer' | 'with_next_call';
};

export type GatewaySession = {
  server: Server;
  /** The Kee session (rejects if it could not be opened: every call is then refused). */
  kee: Promise<GovernedSession>;
  /** Closes the Kee session into its Session Block (once; later calls return the same block). */
  closeKee: () => Promise<{ block_id: string } | null>;
};

export const TOOLS_CALL_ACTION = 'tools/call';

/** A new agent session: connect `server` to a transport; `closeKee` when the transport closes. */
export function createGatewaySession(deps: GatewayDeps): GatewaySession {
  const server = new Server({ name: 'kee-mcp-gateway', version: GATEWAY_VERSION }, { capabilities: { tools: deps.changes ? { listChanged: true } : {} } });
  deps.changes?.add(server);
  const kee = deps.governor.open();
  kee.catch((e: unknown) => deps.log(`kee mcp-gateway: cannot open a Kee session for \`${deps.governor.agentId}\`: ${message(e)} (every call will be refused)`));
  let closing: Promise<{ block_id: string } | null> | null = null;
  // TOOL_RESULT records not yet known durable (`with_next_call`): none may be missing when a later call is forwarded
  const results: ResultRecords = { pending: null };
  const closeKee = () => {
    closing ??= kee.then(
      async (s) => {
        // the session's records are ordered: the close follows them; a failed one was logged when it failed
        await results.pending?.catch(() => {});
        return s.close();
      },
      () => null,
    );
    return closing;
  };

  // per MCP session: the escalation each identical call (tool + arguments digest) last met
  const escalations = new Map<string, ToolEscalation>();
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: deps.changes ? deps.changes.listed() : [...deps.catalog.tools.values()].filter((t) => deps.visible?.(t) ?? true).map((t) => t.exposed) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    const tool = deps.catalog.tools.get(name);
    if (!tool) return toolError(`unknown tool \`${name.slice(0, 128)}\`: tools/list names the tools this gateway offers`);
    // an elicitation is sent as related to this call (over Streamable HTTP: on the call's own stream)
    return callTool(deps, { server, requestId: extra.requestId }, escalations, results, kee, closing !== null, tool, args);
  });
  return { server, kee, closeKee };
}

type Asker = { server: Server; requestId: RequestId };

/** The chain of TOOL_RESULT records of a session whose durability was not waited for before the answer. */
type ResultRecords = { pending: Promise<void> | null };

async function callTool(deps: GatewayDeps, asker: Asker, escalations: Map<string, ToolEscalation>, results: ResultRecords, keeSession: Promise<GovernedSession>, closed: boolean, tool: GatewayTool, args: Record<string, unknown> | undefined): Promise<CallToolResult> {
  const label = `\`${tool.exposed.name}\``;
  if (closed) return toolError(`refused ${label}: the Kee session is closed`);
  let session: GovernedSession;
  try {
    session = await keeSession;
  } catch (e) {
    return toolError(`refused ${label}: no Kee session (${message(e)}); nothing was forwarded`);
  }
  const projection = projectArguments(args, tool.exposed.inputSchema, { pathArguments: tool.upstream.pathArguments, roots: tool.upstream.roots, sha256: deps.sha256 });
  const request = toolRequest(deps.governor.agentId, tool, projection.context);
  // an escalation answers for the identical call only: this tool with arguments of this digest
  const key = `${tool.exposed.name} ${projection.digest}`;
  const decide = async (): Promise<ToolDecision> => {
    const known = escalations.get(key);
    try {
      const d = await session.authorize(known ? { ...request, hem_id: known.hem_id } : request);
      // a timed-out escalation is forgotten: the next identical call opens a new one
      if (d.escalation?.status === 'TIMEOUT_DENY') escalations.delete(key);
      else if (d.escalation) escalations.set(key, d.escalation);
      return d;
    } catch (e) {
      if (known) escalations.delete(key);
      throw e;
    }
  };
  let decision: ToolDecision;
  try {
    decision = await decide();
    if (decision.decision !== 'PERMIT' && decision.escalation?.status === 'PENDING' && canElicit(asker.server)) decision = await waitForHuman(deps, asker, label, decision, decide);
  } catch (e) {
    return toolError(`refused ${label}: the kernel could not decide (${message(e)}); nothing was forwarded`);
  }
  const where = `(Kee session ${session.sessionId}, record ${decision.ale_seq})`;
  if (decision.decision !== 'PERMIT') {
    const policy = decision.policy_ids.length > 0 ? `policy ${decision.policy_ids.map((p) => `\`${p}\``).join(', ')}` : 'no policy permits it';
    const e = decision.escalation;
    if (e?.status === 'PENDING') {
      return escalationError(e, `${label} needs a human's approval (${policy}): Kee escalation \`${e.hem_id}\` (${e.hem_class}) is PENDING until ${e.expires_at}; an approver answers it (\`kee hem approve ${e.hem_id}\`), then call ${label} again with the same arguments ${where}; nothing was forwarded`);
    }
    const why = [...(e ? [`Kee escalation \`${e.hem_id}\` (${e.hem_class}) is ${e.status}${e.status === 'TIMEOUT_DENY' ? ' (no approver answered in time; calling again opens a new one)' : ''}`] : []), ...decision.reasons, ...projection.problems.map((p) => `arguments: ${p}`)];
    const text = `denied ${label} by Kee: ${policy}${why.length > 0 ? `; ${why.join('; ')}` : ''} ${where}; nothing was forwarded`;
    return e ? escalationError(e, text) : toolError(text);
  }
  // the policy permitted it, but arguments the projection could not vouch for are never forwarded
  if (projection.problems.length > 0) return toolError(`refused ${label} by the gateway although policy permitted it: ${projection.problems.join('; ')} ${where}; nothing was forwarded`);
  const bodies = tool.upstream.recordsBodies(tool.tool);
  const report = (outcome: ToolResultReport['outcome'], result_digest: string | null, failure?: string, answer?: CallToolResult): ToolResultReport => ({
    decision_seq: decision.ale_seq,
    tool: tool.resourceId,
    arguments_digest: projection.digest,
    outcome,
    result_digest,
    ...(failure === undefined ? {} : { failure }),
    // bodies only when the configuration asks for them, each within the kernel's bound
    ...(bodies ? recordedBodies(args ?? {}, answer) : {}),
  });
  // `with_next_call`: an earlier call's TOOL_RESULT is durable before this call is forwarded (it was
  // queued before this decision, so it committed with it or before it; this only reads the outcome)
  const earlier = results.pending;
  if (earlier) {
    try {
      await earlier;
    } catch (e) {
      await session.recordResult(report('failed', null, 'not forwarded: the record of an earlier answer could not be written')).catch(() => {});
      return toolError(`refused ${label}: the record of an earlier answer in this session could not be written (${message(e)}); nothing was forwarded ${where}`);
    } finally {
      if (results.pending === earlier) results.pending = null;
    }
  }
  if (tool.upstream.down) {
    await session.recordResult(report('failed', null, `upstream down: ${tool.upstream.down}`)).catch(() => {});
    return toolError(`refused ${label}: upstream \`${tool.server}\` is down (${tool.upstream.down}) ${where}`);
  }
  let result: CallToolResult;
  try {
    result = (await tool.upstream.client.callTool({ name: tool.tool, ...(args === undefined ? {} : { arguments: args }) }, undefined, { timeout: deps.callTimeoutMs ?? 60_000 })) as CallToolResult;
  } catch (e) {
    const why = `upstream \`${tool.server}\` failed: ${message(e)}`;
    await session.recordResult(report('failed', null, why)).catch(() => {});
    return toolError(`refused ${label}: ${why}; its answer, if any, was not passed on ${where}`);
  }
  let digest: string;
  try {
    digest = jsonDigest(result, deps.sha256);
  } catch (e) {
    await session.recordResult(report('failed', null, `the answer is not I-JSON: ${message(e)}`)).catch(() => {});
    return toolError(`refused ${label}: upstream \`${tool.server}\` answered something that is not I-JSON ${where}`);
  }
  const final = report(result.isError === true ? 'tool_error' : 'ok', digest, undefined, result);
  if (deps.resultRecords === 'with_next_call') {
    // the answer goes once the record has its place in the session's chain (a refusal before that withholds it)
    let queued!: () => void;
    const inChain = new Promise<void>((resolve) => {
      queued = resolve;
    });
    const durable = session.recordResult(final, { shareCommit: true, queued });
    const previous = results.pending;
    const chained: Promise<void> = (previous ? previous.catch(() => {}) : Promise.resolve()).then(() => durable);
    chained.catch((e: unknown) => deps.log(`kee mcp-gateway: the TOOL_RESULT of ${label} ${where} could not be written: ${message(e)} (the session's next call is refused)`));
    results.pending = chained;
    const refused = await Promise.race([inChain.then(() => null), durable.then(() => null, (e: unknown) => e ?? new Error('refused'))]);
    if (refused !== null) return toolError(`withheld the answer of ${label}: the kernel could not record it (${message(refused)}) ${where}`);
    return result;
  }
  try {
    await session.recordResult(final);
  } catch (e) {
    return toolError(`withheld the answer of ${label}: the kernel could not record it (${message(e)}) ${where}`);
  }
  return result;
}

/** The bodies a TOOL_RESULT keeps (`record_bodies`): each one that fits MAX_RECORDED_BODY, the others named as omitted. */
function recordedBodies(args: unknown, answer: CallToolResult | undefined): Pick<ToolResultReport, 'arguments' | 'result' | 'bodies_omitted'> {
  const out: Pick<ToolResultReport, 'arguments' | 'result' | 'bodies_omitted'> = {};
  const omitted: ('arguments' | 'result')[] = [];
  const fits = (v: unknown) => ENCODER.encode(canonicalJson(v)).length <= MAX_RECORDED_BODY;
  if (fits(args)) out.arguments = args as Json;
  else omitted.push('arguments');
  if (answer !== undefined) {
    if (fits(answer)) out.result = answer as unknown as Json;
    else omitted.push('result');
  }
  if (omitted.length > 0) out.bodies_omitted = omitted;
  return out;
}

const ENCODER = new TextEncoder();

/** principal the agent, `Action::"tools/call"`, resource `Tool::"<server>/<tool>"` with its attributes. */
export function toolRequest(agentId: string, tool: GatewayTool, context: AuthorizationRequest['context']): AuthorizationRequest {
  const a = tool.exposed.annotations ?? {};
  const resource = { type: 'Tool', id: tool.resourceId };
  return {
    principal: { type: 'Agent', id: agentId },
    action: { type: 'Action', id: TOOLS_CALL_ACTION },
    resource,
    context,
    // the MCP defaults where the upstream declares nothing: not read-only, destructive
    entities: [{ uid: resource, attrs: { server: tool.server, tool: tool.tool, read_only_hint: a.readOnlyHint === true, destructive_hint: a.destructiveHint !== false }, parents: [] }],
  };
}

/** At most this many elicitation rounds per call (each one is the user's answer, and a decision record). */
const MAX_ELICITATION_ROUNDS = 10;
/** An elicitation waits for the user at most this long (and never past the escalation's expiry). */
const MAX_ELICITATION_WAIT_MS = 15 * 60_000;

/** The client declared form elicitation (`elicitation: {}` is form-only, MCP 2025-06-18). */
function canElicit(server: Server): boolean {
  const e = server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  return e !== undefined && (e.form !== undefined || e.url === undefined);
}

/**
 * A PENDING escalation, and a client that can ask its user: the user is told an approver must
 * answer it and is offered to retry once that happened. The user cannot approve here (only an
 * approver can, on the kernel): accepting only makes the gateway ask the kernel again, naming the
 * escalation. Returns the last decision (still PENDING when the user declined, cancelled, or the
 * client could not ask).
 */
async function waitForHuman(deps: GatewayDeps, asker: Asker, label: string, first: ToolDecision, decide: () => Promise<ToolDecision>): Promise<ToolDecision> {
  let decision = first;
  for (let round = 0; round < MAX_ELICITATION_ROUNDS && decision.decision !== 'PERMIT' && decision.escalation?.status === 'PENDING'; round++) {
    const e = decision.escalation;
    const timeout = Math.min(MAX_ELICITATION_WAIT_MS, Math.max(1_000, Date.parse(e.expires_at) - Date.now()));
    let answer;
    try {
      answer = await asker.server.elicitInput(
        {
          mode: 'form',
          message: `${round === 0 ? '' : 'Still pending. '}Kee needs a human's approval for ${label}: escalation ${e.hem_id} (${e.hem_class}) waits for an approver until ${e.expires_at}. Only an approver can approve it, on the Kee kernel (kee hem approve ${e.hem_id}). Once they have, retry the call.`,
          requestedSchema: { type: 'object', properties: { retry: { type: 'boolean', title: 'Retry now', description: 'Ask Kee again: the call goes through only if an approver approved the escalation', default: true } }, required: ['retry'] },
        },
        { timeout, relatedRequestId: asker.requestId },
      );
    } catch (err) {
      deps.log(`kee mcp-gateway: elicitation for escalation ${e.hem_id} failed: ${message(err)}`);
      return decision;
    }
    if (answer.action !== 'accept' || answer.content?.retry !== true) return decision;
    decision = await decide();
  }
  return decision;
}

/** A tool error about an escalation, which also names it in `_meta` for clients that read it. */
function escalationError(escalation: ToolEscalation, text: string): CallToolResult {
  return { ...toolError(text), _meta: { 'kee/escalation': escalation } };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text: `kee: ${text}` }], isError: true };
}

function message(e: unknown): string {
  // one line: SDK validation errors are multi-line JSON
  const m = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
  return m.length > 300 ? `${m.slice(0, 300)}…` : m;
}
