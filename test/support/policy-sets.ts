import { MemoryStore } from '../../src/adapters/memory/store.ts';
import type { PolicyCandidate } from '../../src/kernel/policy/activation.ts';
import type { StoredDocument } from '../../src/ports/storage.ts';
import type { Harness } from './harness.ts';

/** The request whose answer differs between the test sets. */
export const probe = (agent = 'agent-1') => ({
  principal: { type: 'Agent', id: agent },
  action: { type: 'Action', id: 'probe' },
  resource: { type: 'Dataset', id: 'd' },
  context: {},
});

/**
 * Version `v` of a test profile: `read` is always permitted; `probe` is permitted on odd
 * versions and forbidden on even ones; the `@id("set-v<v>")` policy makes every version's
 * cedar_policy_hash distinct.
 */
export function candidate(version: number, extra: Partial<PolicyCandidate> = {}): PolicyCandidate {
  const probePolicy =
    version % 2 === 1
      ? `@id("probe-permit") @tier("2") permit (principal is Agent, action == Action::"probe", resource);`
      : `@id("probe-forbid") @tier("1") forbid (principal, action == Action::"probe", resource);`;
  return {
    capProfileId: 'test-profile',
    version,
    policies: `@id("read") @tier("2") permit (principal is Agent, action == Action::"read", resource);
${probePolicy}
@id("set-v${version}") @tier("2") permit (principal == Agent::"marker-${version}", action == Action::"mark", resource);`,
    ...extra,
  };
}

/** A policy text that does not parse. */
export const INVALID_POLICIES = '@id("broken") permit (principal, action, resource';

/** Stores the candidate as the document body: what the tests' `reloadCapProfile` parses back. */
export const withDocument = (c: PolicyCandidate): PolicyCandidate => ({ ...c, document: { docId: `doc-v${c.version}`, body: JSON.stringify(c) } });

/** A re-verification callback that trusts the test document body (the profile branch checks signatures here). */
export const reloadFromBody = async (doc: StoredDocument): Promise<PolicyCandidate> => JSON.parse(doc.body) as PolicyCandidate;

/** The kernel journal's records, parsed (the latest kernel's journal when several share the store). */
export function journal(h: Pick<Harness, 'store'>): Record<string, any>[] {
  const store = h.store as MemoryStore;
  const s = store.allSessions().filter((x) => x.agent_id === 'kee-kernel').at(-1);
  return s ? store.rawRecords(s.session_id).map((r) => JSON.parse(r.canonical)) : [];
}

/** Every parsed record of a session. */
export function records(h: Pick<Harness, 'store'>, sessionId: string): Record<string, any>[] {
  return (h.store as MemoryStore).rawRecords(sessionId).map((r) => JSON.parse(r.canonical));
}
