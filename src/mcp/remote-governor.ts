/**
 * A remote Kee kernel over HTTP (`kee/client`: client assertion, session token, DPoP on every
 * call). The kernel's HTTP API has no operation for TOOL_RESULT records yet: in remote mode the
 * decision record (with the arguments' digest) is the whole trace of a call (docs/mcp.md).
 */
import { KeeAgent, type AgentPrivateJwk } from '../client/index.ts';
import { checkedDecision, type GovernedSession, type Governor } from './governor.ts';

export async function remoteGovernor(kernelUrl: string, agentId: string, privateJwk: AgentPrivateJwk): Promise<Governor> {
  const agent = await KeeAgent.fromPrivateJwk({ kernelUrl, agentId, privateJwk });
  return {
    mode: 'remote',
    agentId,
    async open(): Promise<GovernedSession> {
      const session = await agent.openSession();
      return {
        sessionId: session.sessionId,
        blockId: session.blockId,
        authorize: async (request) => checkedDecision(await session.authorize(request as unknown as Record<string, unknown>)),
        recordResult: async () => {},
        close: async () => ({ block_id: String((await session.close()).block_id ?? session.blockId) }),
      };
    },
  };
}
