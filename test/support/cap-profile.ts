import { ed25519 } from '@noble/curves/ed25519.js';
import { createPolicyInspector } from '../../src/adapters/cedar/policy-inspector.ts';
import { addSignature, joseJwsVerifier, type GeneralJws } from '../../src/adapters/jose/jws.ts';
import { buildCapProfileBody, type CapProfileMetadata } from '../../src/kernel/cap-profile/build-body.ts';
import { publisherKid, type CapProfileBody } from '../../src/kernel/cap-profile/cap-profile.ts';
import type { CapProfileDeps } from '../../src/kernel/cap-profile/registry.ts';
import { canonicalJson } from '../../src/kernel/jcs.ts';
import type { MemoryStore } from '../../src/adapters/memory/store.ts';
import { loadCedar } from './cedar.ts';
import { loadKeeWasm } from './wasm.ts';

export type Publisher = { seed: Uint8Array; publicKey: Uint8Array; kid: string };

export async function makePublisher(): Promise<Publisher> {
  const seed = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(seed);
  return { seed, publicKey, kid: await publisherKid(publicKey) };
}

export async function makePublishers(n = 3): Promise<Publisher[]> {
  return Promise.all(Array.from({ length: n }, () => makePublisher()));
}

export const inspector = () => createPolicyInspector(loadCedar(), loadKeeWasm());

/** The P4 dependencies of a kernel trusting these publishers, over cedar-wasm like the harness. */
export function capProfileDeps(publishers: Publisher[]): CapProfileDeps {
  return {
    publisherKeys: publishers.map((p) => p.publicKey),
    jws: joseJwsVerifier,
    inspector: inspector(),
  };
}

/** A Tier 2 read permit plus a Tier 1 forbid on deleting datasets; statute URIs on both. */
export const POLICIES_V1 = `
@id("t2-read")
@tier("2")
@cap_rrs_control_id("ops:read")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")
permit (principal is Agent, action == Action::"read", resource);

@id("t1-no-delete")
@tier("1")
@cap_rrs_control_id("appi:no-delete")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057#/Law/LawBody/MainProvision/Article[@Num='17']")
forbid (principal, action == Action::"delete", resource is Dataset);
`;

export function metadata(overrides: Partial<CapProfileMetadata> = {}): CapProfileMetadata {
  return {
    cap_profile_id: 'test-profile',
    version: 1,
    effective_date: '2026-01-01T00:00:00Z',
    catalog_version: { version_id: 'cat-1', supersedes: null, published_by: 'test-authority', published_at: '2026-01-01T00:00:00Z' },
    profile_kind: 'standard',
    ...overrides,
  };
}

export function body(overrides: Partial<CapProfileMetadata> = {}, policies = POLICIES_V1): CapProfileBody {
  return buildCapProfileBody(metadata(overrides), policies, inspector());
}

export const payloadOf = (b: unknown) => new TextEncoder().encode(canonicalJson(b));

/** A general-serialization JWS over JCS(body), signed by each publisher in turn. */
export async function sign(b: unknown, signers: Publisher[], payload = payloadOf(b)): Promise<GeneralJws> {
  let jws: GeneralJws | null = null;
  for (const s of signers) jws = await addSignature(jws, payload, s.seed, s.kid);
  if (!jws) throw new Error('no signer');
  return jws;
}

/** The records of the kernel's own journal session, parsed. */
export async function journal(store: MemoryStore): Promise<Record<string, any>[]> {
  const session = store.allSessions().find((s) => s.agent_id === 'kee-kernel');
  if (!session) return [];
  return (await store.listRecords(session.session_id)).map((r) => JSON.parse(r.canonical));
}
