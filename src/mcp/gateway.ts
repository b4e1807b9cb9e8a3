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
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolResultReport } from '../kernel/tool-results/tool-result.ts';
import type { AuthorizationRequest } from '../kernel/types.ts';
import type { GovernedSession, Governor, ToolDecision } from './governor.ts';
import { jsonDigest, projectArguments } from './projection.ts';
import { GATEWAY_VERSION, type Catalog, type GatewayTool } from './upstreams.ts';

export type GatewayDeps = {
  governor: Governor;
  catalog: Catalog;
  sha256: (bytes: Uint8Array) => Uint8Array;
  log: (line: string) => void;
  /** Per upstream call (default 60 s): no answer in time is a failed call. */
  callTimeoutMs?: number;
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
  const server = new Server({ name: 'kee-mcp-gateway', version: GATEWAY_VERSION }, { capabilities: { tools: {} } });
  const kee = deps.governor.open();
  kee.catch((e: unknown) => deps.log(`kee mcp-gateway: cannot open a Kee session for \`${deps.governor.agentId}\`: ${message(e)} (every call will be refused)`));
  let closing: Promise<{ block_id: string } | null> | null = null;
  const closeKee = () => {
    closing ??= kee.then(
      (s) => s.close(),
      () => null,
    );
    return closing;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...deps.catalog.tools.values()].map((t) => t.exposed) }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params;
    const tool = deps.catalog.tools.get(name);
    if (!tool) return toolError(`unknown tool \`${name.slice(0, 128)}\`: tools/list names the tools this gateway offers`);
    return callTool(deps, kee, closing !== null, tool, args);
  });
  return { server, kee, closeKee };
}

async function callTool(deps: GatewayDeps, keeSession: Promise<GovernedSession>, closed: boolean, tool: GatewayTool, args: Record<string, unknown> | undefined): Promise<CallToolResult> {
  const label = `\`${tool.exposed.name}\``;
  if (closed) return toolError(`refused ${label}: the Kee session is closed`);
  let session: GovernedSession;
  try {
    session = await keeSession;
  } catch (e) {
    return toolError(`refused ${label}: no Kee session (${message(e)}); nothing was forwarded`);
  }
  const projection = projectArguments(args, tool.exposed.inputSchema, { pathArguments: tool.upstream.pathArguments, roots: tool.upstream.roots, sha256: deps.sha256 });
  let decision: ToolDecision;
  try {
    decision = await session.authorize(toolRequest(deps.governor.agentId, tool, projection.context));
  } catch (e) {
    return toolError(`refused ${label}: the kernel could not decide (${message(e)}); nothing was forwarded`);
  }
  const where = `(Kee session ${session.sessionId}, record ${decision.ale_seq})`;
  if (decision.decision !== 'PERMIT') {
    const policy = decision.policy_ids.length > 0 ? `policy ${decision.policy_ids.map((p) => `\`${p}\``).join(', ')}` : 'no policy permits it';
    const why = [...decision.reasons, ...projection.problems.map((p) => `arguments: ${p}`)];
    return toolError(`denied ${label} by Kee: ${policy}${why.length > 0 ? `; ${why.join('; ')}` : ''} ${where}; nothing was forwarded`);
  }
  // the policy permitted it, but arguments the projection could not vouch for are never forwarded
  if (projection.problems.length > 0) return toolError(`refused ${label} by the gateway although policy permitted it: ${projection.problems.join('; ')} ${where}; nothing was forwarded`);
  const report = (outcome: ToolResultReport['outcome'], result_digest: string | null, failure?: string): ToolResultReport => ({
    decision_seq: decision.ale_seq,
    tool: tool.resourceId,
    arguments_digest: projection.digest,
    outcome,
    result_digest,
    ...(failure === undefined ? {} : { failure }),
  });
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
  try {
    await session.recordResult(report(result.isError === true ? 'tool_error' : 'ok', digest));
  } catch (e) {
    return toolError(`withheld the answer of ${label}: the kernel could not record it (${message(e)}) ${where}`);
  }
  return result;
}

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

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text: `kee: ${text}` }], isError: true };
}

function message(e: unknown): string {
  // one line: SDK validation errors are multi-line JSON
  const m = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
  return m.length > 300 ? `${m.slice(0, 300)}…` : m;
}
