import type { JwsVerifier } from '../../ports/cap-profile.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AuditStore, StoredDocument } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { PublisherKey } from '../cap-profile/signatures.ts';
import { DomainError } from '../errors.ts';
import type { Json } from '../types.ts';
import { parsePartyRegistryBody, type PartyRegistryProvider } from './body.ts';
import { namedPublisherKeys, registeredKernel, verifyPartyRegistry, type VerifiedPartyRegistry } from './verify.ts';

/** Documents kind of the accepted signed registries (`seq` 1, 2, …; the latest is served). */
export const PARTY_REGISTRY_DOCUMENT = 'party-registry';

export type PartyRegistryDeps = {
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  clock: Clock;
  journal: KernelJournal;
  /** The configured CAP Profile publishers (KEE_PUBLISHER_KEYS); undefined when none are. */
  publisherKeys: Uint8Array[] | undefined;
  jws: JwsVerifier | undefined;
  /** This kernel: its KIA id and group public key (hex). */
  kiaId: string;
  publicKeyHex: string;
};

/** The served registry: the facts, and the signed JWS as submitted (anyone verifies it again). */
export type StoredPartyRegistry = {
  seq: number;
  stored_at: string;
  registry_id: string;
  version: number;
  registry_hash: string;
  publishers: string[];
  jws: Json;
};

export type PartyRegistryAccepted = Omit<StoredPartyRegistry, 'jws'>;

/**
 * The KIA Party Registry this kernel serves (docs/party-registry.md). The registry is signed by
 * the CAP Profile publishers, not by the kernel: the kernel only checks it as a provider would
 * (≥ 2 of its configured publishers, well-formed, above the stored version, listing this
 * kernel's own KIA id and key), stores it in the documents store (so it is served again after
 * a restart, on every store) and journals PARTY_REGISTRY_ACCEPTED. Refusals are answered, not
 * journaled: the request is unauthenticated and a refusal changes nothing.
 */
export class PartyRegistryService {
  private readonly deps: PartyRegistryDeps;
  private keys: PublisherKey[] | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** The provider entries of the stored registry `seq` (the latest this instance read). */
  private cached: { seq: number; providers: readonly PartyRegistryProvider[] } = { seq: 0, providers: [] };

  constructor(deps: PartyRegistryDeps) {
    this.deps = deps;
  }

  /** `PUT /v1/party-registry`: one submission at a time (versions are compared with the stored one). */
  submit(jws: unknown): Promise<PartyRegistryAccepted> {
    const run = this.queue.then(() => this.accept(jws));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async accept(jws: unknown): Promise<PartyRegistryAccepted> {
    const { deps } = this;
    if (!deps.publisherKeys || deps.publisherKeys.length === 0 || !deps.jws) throw new DomainError('UNAVAILABLE', 'no publisher keys are configured (KEE_PUBLISHER_KEYS): a party registry cannot be verified');
    this.keys ??= await namedPublisherKeys(deps.publisherKeys);
    const v = await verifyPartyRegistry(jws, this.keys, deps.jws);
    if (!v.ok) throw new DomainError(v.code, v.reason, { facts: v.detail });
    const own = registeredKernel(v.body, deps.kiaId);
    if (!own || own.group_public_key !== deps.publicKeyHex) {
      throw new DomainError('PARTY_REGISTRY_KERNEL_MISSING', `the party registry does not list this kernel (kia_id \`${deps.kiaId}\` with its group key): a provider could not verify its ACD Records`, { facts: facts(v) });
    }
    const latest = await deps.io(() => deps.store.latestDocument(PARTY_REGISTRY_DOCUMENT), false);
    const stored = latest ? storedFacts(latest) : null;
    if (stored && v.body.version <= stored.version) {
      throw new DomainError('PARTY_REGISTRY_ROLLBACK', `version ${v.body.version} is not above the stored version ${stored.version}`, { facts: { ...facts(v), stored_version: stored.version } });
    }
    const seq = (latest?.seq ?? 0) + 1;
    const storedAt = deps.clock.nowIso();
    const entry = { seq, stored_at: storedAt, registry_id: v.body.registry_id, version: v.body.version, registry_hash: v.registry_hash, publishers: v.publishers };
    await deps.io(() => deps.store.putDocument({ kind: PARTY_REGISTRY_DOCUMENT, seq, docId: `${v.body.registry_id}@${v.body.version}`, body: JSON.stringify({ ...entry, jws }), createdAt: storedAt }), true);
    await deps.journal.record('PARTY_REGISTRY_ACCEPTED', { ...entry, kernels: v.body.kernels.length, resource_providers: v.body.resource_providers.length });
    return entry;
  }

  /**
   * The resource provider entries of the latest accepted registry (the `acd_required` gate reads
   * them beside the agent registry's declarations), caught up with the store: a registry another
   * instance accepted counts at once. One small read when nothing changed; the registry was
   * verified when it was accepted, as agent registry entries are, and is not verified again.
   */
  async providers(): Promise<readonly PartyRegistryProvider[]> {
    const { deps } = this;
    const newer = await deps.io(() => deps.store.listDocuments(PARTY_REGISTRY_DOCUMENT, this.cached.seq + 1, 1), false);
    if (newer.length === 0) return this.cached.providers;
    const latest = (await deps.io(() => deps.store.latestDocument(PARTY_REGISTRY_DOCUMENT), false)) as StoredDocument;
    const providers = storedProviders(latest);
    if (latest.seq > this.cached.seq) this.cached = { seq: latest.seq, providers };
    return providers;
  }

  /** `GET /v1/party-registry`: the latest accepted registry; NOT_FOUND when none was. */
  async current(): Promise<StoredPartyRegistry> {
    const latest = await this.deps.io(() => this.deps.store.latestDocument(PARTY_REGISTRY_DOCUMENT), false);
    if (!latest) throw new DomainError('NOT_FOUND', 'no party registry was submitted to this kernel (`kee party-registry push`)');
    return storedFacts(latest);
  }
}

function facts(v: VerifiedPartyRegistry): Record<string, Json> {
  return { registry_id: v.body.registry_id, version: v.body.version, registry_hash: v.registry_hash, publishers: v.publishers };
}

/** The provider entries of a stored registry (its signed payload, read back); AUDIT_TAMPERED when it is not one. */
function storedProviders(doc: StoredDocument): readonly PartyRegistryProvider[] {
  try {
    const payload = (storedFacts(doc).jws as { payload: string }).payload;
    const bin = atob(payload.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (payload.length % 4)) % 4));
    const parsed = parsePartyRegistryBody(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))));
    if (parsed.ok) return parsed.body.resource_providers;
  } catch {
    // unreadable: below
  }
  throw new DomainError('AUDIT_TAMPERED', `the stored party registry ${doc.seq} is not a registry: its acd_required declarations cannot be read`);
}

function storedFacts(doc: StoredDocument): StoredPartyRegistry {
  const s = JSON.parse(doc.body) as StoredPartyRegistry;
  return { seq: doc.seq, stored_at: s.stored_at, registry_id: s.registry_id, version: s.version, registry_hash: s.registry_hash, publishers: s.publishers, jws: s.jws };
}
