import type { Merkle } from '../../ports/merkle.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { EntityRef, Json } from '../types.ts';

/** The Cedar entity type of registered agents: a request's principal `Agent::"<agent_id>"`. */
export const AGENT_ENTITY_TYPE = 'Agent';

/** Attribute names the kernel sets on a registered agent's Cedar entity (refused in `attributes`). */
export const RESERVED_AGENT_ATTRIBUTES = ['roles', 'xpid', 'status'] as const;

export type AgentStatus = 'ACTIVE' | 'SUSPENDED' | 'REVOKED';

/** An agent's Ed25519 public key as registered: the RFC 7638 members and its thumbprint as `kid`. */
export type AgentPublicKey = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string };

/** What an operator registers (validated at the edge). */
export type AgentRegistration = {
  agent_id: string;
  display_name?: string;
  roles?: string[];
  attributes?: Record<string, Json>;
  parents?: EntityRef[];
  /** Public Ed25519 JWKs: `x` only matters (any `kid` sent is replaced by the thumbprint). */
  public_keys: { x: string }[];
};

/**
 * The agent's Party Registry entry (KIA §7.2; JCS, KEE-1 digest §4.1): exactly these members,
 * hashed as SHA-256 over their RFC 8785 JCS into `registry_entry_hash`, the input of the agent
 * XPID. Status is not part of it, so suspending and reactivating keep the XPID.
 */
export type RegistryEntry = {
  registry_entry_version: 1;
  agent_id: string;
  display_name: string | null;
  /** Sorted, without duplicates. */
  roles: string[];
  attributes: Record<string, Json>;
  /** Sorted by type, then id, without duplicates. */
  parents: EntityRef[];
  /** Sorted by `kid`. */
  public_keys: AgentPublicKey[];
  /** Kernel clock, ISO 8601 UTC. */
  registered_at: string;
};

/** RFC 4648 §5 base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** RFC 7638 JWK thumbprint of an Ed25519 public key (`x` base64url): base64url SHA-256 of `{"crv","kty","x"}`. */
export function ed25519Thumbprint(merkle: Merkle, x: string): string {
  return base64url(merkle.sha256(new TextEncoder().encode(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)));
}

const byUid = (a: EntityRef, b: EntityRef) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1);

/** The canonical entry of a registration made at `registeredAt`. */
export function registryEntry(merkle: Merkle, r: AgentRegistration, registeredAt: string): RegistryEntry {
  const parents = new Map<string, EntityRef>();
  for (const p of r.parents ?? []) parents.set(JSON.stringify([p.type, p.id]), { type: p.type, id: p.id });
  const keys = new Map<string, AgentPublicKey>();
  for (const k of r.public_keys) {
    const kid = ed25519Thumbprint(merkle, k.x);
    keys.set(kid, { kty: 'OKP', crv: 'Ed25519', x: k.x, kid });
  }
  return {
    registry_entry_version: 1,
    agent_id: r.agent_id,
    display_name: r.display_name ?? null,
    roles: [...new Set(r.roles ?? [])].sort(),
    attributes: r.attributes ?? {},
    parents: [...parents.values()].sort(byUid),
    public_keys: [...keys.values()].sort((a, b) => (a.kid < b.kid ? -1 : 1)),
    registered_at: registeredAt,
  };
}

/** `registry_entry_hash`: lowercase hex SHA-256 of the entry's JCS. */
export function registryEntryHash(merkle: Merkle, entry: RegistryEntry): string {
  return toHex(merkle.sha256(new TextEncoder().encode(canonicalJson(entry))));
}
