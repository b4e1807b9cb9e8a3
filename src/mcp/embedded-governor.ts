/**
 * The embedded kernel (the gateway's default): the agent is registered in it on first use with
 * the public half of its key, and each session is opened with a client assertion that key signs
 * (`kee/client`), so the session is as authenticated as one opened over HTTP. Decisions and
 * records go through the kernel API directly, with the session's holder (agent, key thumbprint).
 * A PERMIT comes without its credential: the gateway is the enforcement point, it forwards the
 * call itself and never presents a credential to an upstream (docs/mcp.md).
 */
import { KeeAgent, type AgentPrivateJwk } from '../client/index.ts';
import { isDomainError } from '../kernel/errors.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { checkedDecision, type GovernedSession, type Governor } from './governor.ts';

/** How long a TOOL_RESULT waits for the session's next decision to share its commit (`result_records: "with_next_call"`). */
export const SHARE_COMMIT_MS = 20;

export async function embeddedGovernor(kernel: Kernel, agentId: string, privateJwk: AgentPrivateJwk): Promise<Governor> {
  const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: 'http://kee.embedded', agentId, privateJwk });
  try {
    await kernel.getAgent(agentId);
  } catch (e) {
    if (!isDomainError(e, 'NOT_FOUND')) throw e;
    await kernel.registerAgent({ agent_id: agentId, display_name: `${agentId} (MCP gateway)`, public_keys: [{ x: privateJwk.x }] }, 'kee-mcp-gateway');
  }
  return {
    mode: 'embedded',
    agentId,
    async open(): Promise<GovernedSession> {
      const { session } = await kernel.openCallerSession(agentId, await agent.assertion(kernel.issuer));
      const holder = { agentId, jkt: agent.jkt };
      return {
        sessionId: session.session_id,
        blockId: session.block_id,
        // the gateway enforces the decision itself and presents it to no upstream: no credential to sign
        authorize: async (request) => checkedDecision(await kernel.authorize(session.session_id, request, holder, { credential: false })),
        recordResult: async (report, options) => void (await kernel.recordToolResult(session.session_id, report, holder, { ...(options?.shareCommit ? { shareCommitMs: SHARE_COMMIT_MS } : {}), ...(options?.queued ? { queued: options.queued } : {}) })),
        close: async () => ({ block_id: (await kernel.closeSession(session.session_id, holder)).block_id }),
      };
    },
  };
}
