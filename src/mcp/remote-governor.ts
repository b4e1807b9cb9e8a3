/**
 * A remote Kee kernel over HTTP (`kee/client`: client assertion, session token, DPoP on every
 * call). TOOL_RESULT records go to `POST /v1/sessions/{id}/tool-results`, as the session's agent.
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
        recordResult: async (report, options) => {
          // over HTTP each request is its own commit: once sent, the next call's decision is asked after it
          const sent = session.recordToolResult(report as unknown as Record<string, unknown>);
          options?.queued?.();
          await sent;
        },
        close: async () => ({ block_id: String((await session.close()).block_id ?? session.blockId) }),
      };
    },
  };
}
