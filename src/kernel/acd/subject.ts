import type { AuditStore } from '../../ports/storage.ts';
import type { Agent } from '../agents/agent-registry.ts';
import type { AcdSubject } from './four-checks.ts';

export type SubjectDeps = {
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** The registry brought up to date, then the agent (undefined when not registered). */
  agent: (agentId: string) => Promise<Agent | undefined>;
};

/** Mandate jtis read from SESSION_OPEN records (immutable once written), by session. */
const MAX_CACHED = 10_000;

/**
 * The AEP session an ACD Record is asked for: open, its agent as registered now (status and XPID
 * read at every query), and the mandate `jti` its SESSION_OPEN record names (`session_token_jti`,
 * KEE_AUTH=agents). Null when no open session has that id.
 */
export function acdSubjects(d: SubjectDeps): (aepSessionId: string) => Promise<AcdSubject | null> {
  const jtis = new Map<string, string | null>();
  return async (aepSessionId) => {
    const session = await d.io(() => d.store.getSession(aepSessionId), false);
    if (!session || session.status !== 'OPEN') return null;
    let jti = jtis.get(aepSessionId);
    if (jti === undefined) {
      const first = (await d.io(() => d.store.listRecords(aepSessionId), false))[0];
      const named = first ? (JSON.parse(first.canonical) as { session_token_jti?: unknown }).session_token_jti : undefined;
      jti = typeof named === 'string' ? named : null;
      jtis.set(aepSessionId, jti);
      if (jtis.size > MAX_CACHED) jtis.delete(jtis.keys().next().value as string);
    }
    const agent = await d.agent(session.agent_id);
    return {
      session_id: session.session_id,
      block_id: session.block_id,
      agent_id: session.agent_id,
      ...(agent ? { agent: { xpid: agent.xpid, status: agent.status, parents: agent.entry.parents.map((p) => ({ type: p.type, id: p.id })) } } : {}),
      mandate_jti: jti,
    };
  };
}
