/**
 * Verifies a signed KIA Party Registry (docs/party-registry.md) the way a CAP Profile's
 * publisher signatures are verified (`countPublisherSignatures`: JWS JSON general serialization,
 * EdDSA, one signature per configured publisher `kid`), then its body. Shared by the kernel
 * (`PUT /v1/party-registry`, against KEE_PUBLISHER_KEYS) and by `kee/verifier` (a resource
 * provider, against the publisher keys it pins itself). Web APIs only.
 */
import type { JwsVerifier } from '../../ports/cap-profile.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';
import { countPublisherSignatures, signatureDetail, type PublisherKey } from '../cap-profile/signatures.ts';
import { parsePartyRegistryBody, type PartyRegistryBody, type PartyRegistryKernel } from './body.ts';

/** How many distinct publishers must sign (the CAP Profile rule, digest 2.4: 2 of 3). */
export const REGISTRY_THRESHOLD = 2;

export type VerifiedPartyRegistry = {
  ok: true;
  body: PartyRegistryBody;
  /** SHA-256 of the signed payload (the JCS of the body), lowercase hex. */
  registry_hash: string;
  /** The `kid`s (SHA-256 of the raw key, hex) of the distinct pinned publishers whose signatures verified, sorted. */
  publishers: string[];
};
export type PartyRegistryRefusal = {
  ok: false;
  code: 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT' | 'PARTY_REGISTRY_MALFORMED';
  reason: string;
  detail: Record<string, Json>;
};

const sha256 = async (bytes: Uint8Array): Promise<string> => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));

/** Names raw Ed25519 publisher keys by their `kid` (hex SHA-256 of the key), as `kee policy keygen` prints it. */
export async function namedPublisherKeys(keys: Uint8Array[]): Promise<PublisherKey[]> {
  const out: PublisherKey[] = [];
  for (const k of keys) {
    if (k.length !== 32) throw new RangeError(`a publisher key is 32 bytes of Ed25519, got ${k.length}`);
    const kid = await sha256(k);
    if (!out.some((o) => o.kid === kid)) out.push({ kid, publicKey: k.slice() });
  }
  return out;
}

/**
 * In order, the first failure deciding: at least `threshold` distinct pinned publishers signed
 * the exact payload (nothing in it is read before); the payload is UTF-8 JSON in JCS form; the
 * body is a well-formed registry; every kernel's `kia_id` is the SHA-256 of its group key.
 */
export async function verifyPartyRegistry(input: unknown, keys: PublisherKey[], jws: JwsVerifier, threshold = REGISTRY_THRESHOLD): Promise<VerifiedPartyRegistry | PartyRegistryRefusal> {
  const sigs = await countPublisherSignatures(input, keys, jws);
  const detail = signatureDetail(sigs);
  const refuse = (code: PartyRegistryRefusal['code'], reason: string): PartyRegistryRefusal => ({ ok: false, code, reason, detail });
  if (sigs.malformed) return refuse('PARTY_REGISTRY_SIGNATURES_INSUFFICIENT', sigs.malformed);
  if (sigs.publishers.length < threshold || sigs.payload === null) {
    return refuse('PARTY_REGISTRY_SIGNATURES_INSUFFICIENT', `${sigs.publishers.length} of the ${keys.length} pinned publishers signed the party registry, ${threshold} are required`);
  }
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(sigs.payload);
    value = JSON.parse(text);
  } catch {
    return refuse('PARTY_REGISTRY_MALFORMED', 'the signed payload is not UTF-8 JSON');
  }
  let canonical: string;
  try {
    canonical = canonicalJson(value);
  } catch {
    return refuse('PARTY_REGISTRY_MALFORMED', 'the signed payload cannot be canonicalized');
  }
  if (canonical !== text) return refuse('PARTY_REGISTRY_MALFORMED', 'the signed payload is not in JCS (RFC 8785) form');
  const parsed = parsePartyRegistryBody(value);
  if (!parsed.ok) return refuse('PARTY_REGISTRY_MALFORMED', parsed.reason);
  for (const [i, k] of parsed.body.kernels.entries()) {
    const hash = await sha256(Uint8Array.from(k.group_public_key.match(/../g) as string[], (h) => parseInt(h, 16)));
    if (hash !== k.kia_id) return refuse('PARTY_REGISTRY_MALFORMED', `kernels[${i}].kia_id is not the SHA-256 of its group_public_key`);
  }
  return { ok: true, body: parsed.body, registry_hash: await sha256(sigs.payload), publishers: sigs.publishers };
}

/** The registry's entry for a kernel, by KIA id; undefined when it is not listed. */
export function registeredKernel(body: PartyRegistryBody, kiaId: string): PartyRegistryKernel | undefined {
  return body.kernels.find((k) => k.kia_id === kiaId);
}
