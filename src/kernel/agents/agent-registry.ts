import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { AuditStore, StoredDocument } from '../../ports/storage.ts';
import type { XpidDeriver } from '../../ports/xpid.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { DomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import { Mutex } from '../policy/mutex.ts';
import type { AuthorizationRequest, CedarEntity, EntityRef, Json } from '../types.ts';
import { AGENT_ENTITY_TYPE, registryEntry, registryEntryHash, type AgentRegistration, type AgentStatus, type RegistryEntry } from './registry-entry.ts';

/** The document kind of registry events (the `documents` table): one per change, `seq` 1, 2, … */
export const AGENT_REGISTRY_KIND = 'agent_registry';

/** A registered agent as the registry answers it. */
export type Agent = {
  agent_id: string;
  xpid: string;
  xpid_derivation_version: string;
  status: AgentStatus;
  registry_entry_hash: string;
  entry: RegistryEntry;
  registered_by: string;
  updated_at: string;
};

/** One registry event as stored (JCS text in the document body) and replayed at start. */
type RegistryEvent =
  | { event: 'AGENT_REGISTERED'; agent_id: string; entry: RegistryEntry; registry_entry_hash: string; xpid: string; xpid_derivation_version: string; by: string; at: string }
  | { event: 'AGENT_STATUS_CHANGED' | 'AGENT_REVOKED'; agent_id: string; from: AgentStatus; to: AgentStatus; by: string; at: string };

export type AgentRegistryDeps = {
  store: AuditStore;
  journal: KernelJournal;
  clock: Clock;
  merkle: Merkle;
  xpid: XpidDeriver;
  /** The kernel's key id (hex SHA-256 of its public key): the fingerprint agent XPIDs are derived under. */
  kernelId: string;
  /** Store calls through the audit log's failure handling (GAR_UNAVAILABLE sets SUSPENDED_GAR). */
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** false on workerd: a change arriving while another runs is refused with CONFLICT. */
  queue: boolean;
};

const PAGE = 500;

/**
 * The agent registry (NHI): agents operators registered, their agent XPIDs (KIA §6.2, digest
 * §4.3 family 2, derived here only), status, and the Cedar entities the kernel supplies for them
 * at authorization. Each change is first recorded in the kernel journal (`XPID_DERIVED`,
 * `AGENT_REGISTERED`, `AGENT_STATUS_CHANGED`, `AGENT_REVOKED`), then stored as a registry event
 * document, then served; at start the events are replayed, and before every registry read or
 * change the events other kernels sharing the store wrote are applied. Decisions use the
 * registry as this kernel last read it. Revocation is final.
 */
export class AgentRegistry {
  private readonly deps: AgentRegistryDeps;
  private readonly agents = new Map<string, Agent>();
  private readonly mutex: Mutex;
  private seq = 0;

  constructor(deps: AgentRegistryDeps) {
    this.deps = deps;
    this.mutex = new Mutex({ queue: deps.queue, busy: 'another agent registry change is in progress; retry' });
  }

  /** Replays the stored registry events (at start). Throws AUDIT_TAMPERED for an event whose entry does not hash to its recorded hash. */
  async load(): Promise<void> {
    this.agents.clear();
    this.seq = 0;
    await this.catchUp();
  }

  /**
   * Applies the events stored after the last one seen: those another kernel sharing the store
   * (PostgreSQL, another workerd isolate) wrote. Run before every registry read and change, so
   * a change is checked against the latest state and stored as the next event.
   */
  async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.deps.io(() => this.deps.store.listDocuments(AGENT_REGISTRY_KIND, this.seq + 1, PAGE), false);
      for (const doc of page) this.apply(parseEvent(doc), doc.seq);
      if (page.length < PAGE) return;
    }
  }

  async list(): Promise<Agent[]> {
    await this.catchUp();
    return [...this.agents.values()].sort((a, b) => (a.agent_id < b.agent_id ? -1 : 1));
  }

  async read(agentId: string): Promise<Agent> {
    await this.catchUp();
    return this.get(agentId);
  }

  private get(agentId: string): Agent {
    const agent = this.agents.get(agentId);
    if (!agent) throw new DomainError('NOT_FOUND', `no registered agent \`${agentId}\``);
    return agent;
  }

  /** Registers an agent (CONFLICT if `agent_id` is registered, revoked ones included). */
  register(registration: AgentRegistration, by: string): Promise<Agent> {
    return this.mutex.run(async () => {
      await this.catchUp();
      if (this.agents.has(registration.agent_id)) throw new DomainError('CONFLICT', `agent \`${registration.agent_id}\` is already registered`);
      const at = this.deps.clock.nowIso();
      const entry = registryEntry(this.deps.merkle, registration, at);
      const hash = registryEntryHash(this.deps.merkle, entry);
      const xpid = this.deps.xpid.deriveAgentXpid(this.deps.kernelId, hash);
      const version = this.deps.xpid.version;
      await this.deps.journal.record('XPID_DERIVED', {
        agent_party_id: entry.agent_id,
        kernel_keypair_fingerprint: this.deps.kernelId,
        xpid,
        derivation_version: version,
        derived_at: at,
        registry_entry_hash: hash,
      });
      await this.deps.journal.record('AGENT_REGISTERED', { agent_id: entry.agent_id, xpid, registry_entry_hash: hash, entry: entry as unknown as Json, registered_by: by });
      return this.persist({ event: 'AGENT_REGISTERED', agent_id: entry.agent_id, entry, registry_entry_hash: hash, xpid, xpid_derivation_version: version, by, at });
    });
  }

  /** ACTIVE ⇄ SUSPENDED; the same status again changes nothing; a revoked agent is CONFLICT. */
  setStatus(agentId: string, status: 'ACTIVE' | 'SUSPENDED', by: string): Promise<Agent> {
    return this.mutex.run(async () => {
      await this.catchUp();
      const agent = this.get(agentId);
      if (agent.status === 'REVOKED') throw new DomainError('CONFLICT', `agent \`${agentId}\` is revoked: revocation is final`);
      if (agent.status === status) return agent;
      const at = this.deps.clock.nowIso();
      await this.deps.journal.record('AGENT_STATUS_CHANGED', { agent_id: agentId, xpid: agent.xpid, from: agent.status, to: status, changed_by: by });
      return this.persist({ event: 'AGENT_STATUS_CHANGED', agent_id: agentId, from: agent.status, to: status, by, at });
    });
  }

  /** Revokes an agent for good; revoking a revoked agent changes nothing. */
  revoke(agentId: string, by: string): Promise<Agent> {
    return this.mutex.run(async () => {
      await this.catchUp();
      const agent = this.get(agentId);
      if (agent.status === 'REVOKED') return agent;
      const at = this.deps.clock.nowIso();
      await this.deps.journal.record('AGENT_REVOKED', { agent_id: agentId, xpid: agent.xpid, from: agent.status, revoked_by: by });
      return this.persist({ event: 'AGENT_REVOKED', agent_id: agentId, from: agent.status, to: 'REVOKED', by, at });
    });
  }

  /** A registered agent as this kernel last read the registry (any status); undefined for any other id. */
  find(agentId: string): Agent | undefined {
    return this.agents.get(agentId);
  }

  /**
   * A registered agent's Cedar entity is the kernel's to supply: a request whose `entities`
   * carry one (any registered agent, any status) is refused whole (INVALID_INPUT, nothing
   * recorded), and the principal's entity is added when the principal is a registered agent.
   */
  withAgentEntity(request: AuthorizationRequest): AuthorizationRequest {
    const clash = request.entities?.find((e) => this.isRegistered(e.uid));
    if (clash) throw new DomainError('INVALID_INPUT', `\`entities\` may not define the registered agent ${clash.uid.type}::${JSON.stringify(clash.uid.id)}: the kernel supplies it from the agent registry`);
    const own = this.entity(request.principal);
    return own ? { ...request, entities: [...(request.entities ?? []), own] } : request;
  }

  /** The XPID the kernel derived for a registered agent (any status); undefined for any other id. */
  xpidOf(agentId: string): string | undefined {
    return this.agents.get(agentId)?.xpid;
  }

  /** True when `uid` names a registered agent (any status). */
  isRegistered(uid: EntityRef): boolean {
    return uid.type === AGENT_ENTITY_TYPE && this.agents.has(uid.id);
  }

  /**
   * The Cedar entity of a registered agent: its `attributes`, plus `roles` (a set of strings),
   * `xpid` and `status`, and its registered `parents`; null for any other uid.
   */
  entity(uid: EntityRef): CedarEntity | null {
    if (uid.type !== AGENT_ENTITY_TYPE) return null;
    const agent = this.agents.get(uid.id);
    if (!agent) return null;
    const { entry } = agent;
    return {
      uid: { type: AGENT_ENTITY_TYPE, id: entry.agent_id },
      attrs: { ...entry.attributes, roles: entry.roles, xpid: agent.xpid, status: agent.status },
      parents: entry.parents,
    };
  }

  private async persist(event: RegistryEvent): Promise<Agent> {
    const seq = this.seq + 1;
    await this.deps.io(() => this.deps.store.putDocument({ kind: AGENT_REGISTRY_KIND, seq, docId: event.agent_id, body: canonicalJson(event), createdAt: event.at }), true);
    this.apply(event, seq);
    return this.get(event.agent_id);
  }

  private apply(event: RegistryEvent, seq: number): void {
    this.seq = seq;
    if (event.event === 'AGENT_REGISTERED') {
      if (registryEntryHash(this.deps.merkle, event.entry) !== event.registry_entry_hash) {
        throw new DomainError('AUDIT_TAMPERED', `agent registry event ${seq} (\`${event.agent_id}\`): the entry does not hash to its registry_entry_hash`);
      }
      const { agent_id, xpid, xpid_derivation_version, registry_entry_hash, entry, by, at } = event;
      this.agents.set(agent_id, { agent_id, xpid, xpid_derivation_version, status: 'ACTIVE', registry_entry_hash, entry, registered_by: by, updated_at: at });
      return;
    }
    const agent = this.agents.get(event.agent_id);
    if (!agent) throw new DomainError('AUDIT_TAMPERED', `agent registry event ${seq} changes \`${event.agent_id}\`, which was never registered`);
    this.agents.set(event.agent_id, { ...agent, status: event.to, updated_at: event.at });
  }
}

function parseEvent(doc: StoredDocument): RegistryEvent {
  try {
    return JSON.parse(doc.body) as RegistryEvent;
  } catch (e) {
    throw new DomainError('AUDIT_TAMPERED', `agent registry event ${doc.seq} is not JSON`, { cause: e });
  }
}
