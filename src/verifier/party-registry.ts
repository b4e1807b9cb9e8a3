/**
 * The resource provider's KIA Party Registry (docs/party-registry.md): a document signed by the
 * CAP Profile publishers (2 of 3), not by any kernel, that maps each kernel's KIA id to its FROST
 * group key and holds the providers' declarations. The provider verifies it against publisher
 * keys it pins itself and takes the key that must sign an ACD Record from it (ACD §7.3
 * validation 1: "against the KIA Party Registry key only"). Web APIs and `jose` only.
 */
import { decodeProtectedHeader, flattenedVerify, importJWK, base64url } from 'jose';
import type { PartyRegistryBody, PartyRegistryProvider } from '../kernel/party-registry/body.ts';
import { namedPublisherKeys, REGISTRY_THRESHOLD, registeredKernel, verifyPartyRegistry as verifySigned, type PartyRegistryRefusal, type VerifiedPartyRegistry } from '../kernel/party-registry/verify.ts';
import type { AcdRequirements } from './acd.ts';

export type { PartyRegistryBody, PartyRegistryProvider, PartyRegistryRefusal, VerifiedPartyRegistry };

/** EdDSA JWS checks with `jose`, in the shape the publisher-signature counter takes. */
const joseJws = {
  protectedHeader(protectedB64: string): Record<string, unknown> | null {
    try {
      const h = decodeProtectedHeader({ protected: protectedB64 });
      return typeof h === 'object' && h !== null ? (h as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  },
  async verify(jws: { payload: string; protected: string; header?: Record<string, unknown>; signature: string }, publicKey: Uint8Array) {
    try {
      const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url.encode(publicKey) }, 'EdDSA');
      const { payload } = await flattenedVerify(jws, key, { algorithms: ['EdDSA'] });
      return { valid: true as const, payload };
    } catch (e) {
      return { valid: false as const, reason: e instanceof Error ? e.message.toLowerCase().replace(/\.$/, '') : 'signature does not verify' };
    }
  },
};

function rawKey(key: Uint8Array | string): Uint8Array {
  if (key instanceof Uint8Array && key.length === 32) return key;
  if (typeof key === 'string' && /^[0-9a-fA-F]{64}$/.test(key)) return Uint8Array.from(key.match(/../g) as string[], (h) => parseInt(h, 16));
  if (typeof key === 'string' && /^[A-Za-z0-9_-]{43}$/.test(key)) return base64url.decode(key);
  throw new TypeError('a publisher key is 32 bytes of Ed25519: raw bytes, 64 hex digits or 43 base64url characters');
}

/**
 * Verifies a signed registry (the JWS JSON general serialization, parsed or as text) against
 * the publisher keys this provider pins: at least `threshold` (default 2) of them signed the
 * exact payload, the payload is the JCS of a well-formed registry, and every kernel's `kia_id`
 * is the SHA-256 of its group key. A registry signed by fewer, or changed after signing, is
 * refused with the reason.
 */
export async function verifyPartyRegistry(
  jws: unknown,
  options: { publisherKeys: readonly (Uint8Array | string)[]; threshold?: number },
): Promise<VerifiedPartyRegistry | PartyRegistryRefusal> {
  const keys = await namedPublisherKeys(options.publisherKeys.map(rawKey));
  const threshold = options.threshold ?? REGISTRY_THRESHOLD;
  if (threshold < 1 || keys.length < threshold) throw new RangeError(`${keys.length} distinct publisher keys pinned, fewer than the threshold ${threshold}`);
  let input = jws;
  if (typeof jws === 'string') {
    try {
      input = JSON.parse(jws);
    } catch {
      return { ok: false, code: 'PARTY_REGISTRY_MALFORMED', reason: 'the registry is not JSON', detail: {} };
    }
  }
  return verifySigned(input, keys, joseJws, threshold);
}

/** The group public key (hex) the registry gives the kernel `kiaId`; undefined when it lists no such kernel. */
export function kernelKeyFromRegistry(registry: VerifiedPartyRegistry, kiaId: string): string | undefined {
  return registeredKernel(registry.body, kiaId)?.group_public_key;
}

/** A provider's own entry, by id. */
export function providerEntry(registry: VerifiedPartyRegistry, providerId: string): PartyRegistryProvider | undefined {
  return registry.body.resource_providers.find((p) => p.provider_id === providerId);
}

/** The `requirements` of `validateAcdRecord` a provider declares in its entry; undefined without `acd_requirements`. */
export function acdRequirementsFromRegistry(registry: VerifiedPartyRegistry, providerId: string): AcdRequirements | undefined {
  const r = providerEntry(registry, providerId)?.acd_requirements;
  if (!r) return undefined;
  return {
    jurisdiction: r.jurisdiction,
    ...(r.regulatory_regimes ? { regulatoryRegimes: r.regulatory_regimes } : {}),
    ...(r.min_tiers ? { minTiers: r.min_tiers } : {}),
    ...(r.controls ? { controls: r.controls } : {}),
  };
}

/** `GET /v1/party-registry`: the signed registry a kernel serves (verify it with `verifyPartyRegistry`; the kernel's word counts for nothing). */
export async function fetchPartyRegistry(kernelUrl: string, options: { fetch?: typeof fetch } = {}): Promise<{ ok: true; jws: unknown } | { ok: false; status: number; body: string }> {
  const res = await (options.fetch ?? fetch)(`${kernelUrl.replace(/\/+$/, '')}/v1/party-registry`, { headers: { accept: 'application/json' } });
  const body = await res.text();
  if (res.status !== 200) return { ok: false, status: res.status, body };
  try {
    const j = JSON.parse(body) as { jws?: unknown };
    return { ok: true, jws: j.jws };
  } catch {
    return { ok: false, status: res.status, body };
  }
}
