/**
 * The body of a signed KIA Party Registry (docs/party-registry.md): which kernels exist (KIA id
 * → FROST group public key) and what each resource provider declares (RGP: `acd_required`, the
 * audiences it guards, the coverage an ACD Record must show). Signed by the CAP Profile
 * publishers (2 of 3), never by a kernel: a provider resolves the key that signs ACD Records
 * from here, so a kernel cannot vouch for itself. Pure: no imports but types.
 */

/** One kernel: its KIA id is the lowercase hex SHA-256 of its group public key (as `GET /v1/kernel/public-key` answers `key_id`). */
export type PartyRegistryKernel = {
  kia_id: string;
  /** The raw 32-byte Ed25519 (FROST group) public key, lowercase hex. */
  group_public_key: string;
  /** e.g. `frost:t-of-n:2-3`; informative. */
  frost_threshold_config?: string;
  operator_id?: string;
};

/** What a provider requires of an ACD Record (the `requirements` of `validateAcdRecord`). */
export type PartyRegistryAcdRequirements = {
  /** ISO 3166-1 alpha-2, e.g. `JP`. */
  jurisdiction: string;
  regulatory_regimes?: string[];
  min_tiers?: Partial<Record<'tier_0a' | 'tier_0b' | 'tier_1' | 'tier_2', number>>;
  /** CAP-RRS control ids the record must name, e.g. `appi:art19-data-minimization`. */
  controls?: string[];
};

export type PartyRegistryProvider = {
  provider_id: string;
  acd_required: boolean;
  resource_audiences: string[];
  acd_requirements?: PartyRegistryAcdRequirements;
};

export type PartyRegistryBody = {
  registry_type: typeof REGISTRY_TYPE;
  registry_id: string;
  /** Above the previous registry's: a kernel refuses anything else (rollback). */
  version: number;
  issued_at: string;
  kernels: PartyRegistryKernel[];
  resource_providers: PartyRegistryProvider[];
};

/** Tells a registry from any other document the same publishers sign (a CAP Profile above all). */
export const REGISTRY_TYPE = 'kia-party-registry';
/** At most this many kernels and providers (a bound on what a verifier reads). */
export const MAX_ENTRIES = 1000;

const HEX32 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const TIERS = ['tier_0a', 'tier_0b', 'tier_1', 'tier_2'] as const;
const TOP = ['registry_type', 'registry_id', 'version', 'issued_at', 'kernels', 'resource_providers'];
const KERNEL = ['kia_id', 'group_public_key', 'frost_threshold_config', 'operator_id'];
const PROVIDER = ['provider_id', 'acd_required', 'resource_audiences', 'acd_requirements'];
const REQUIREMENTS = ['jurisdiction', 'regulatory_regimes', 'min_tiers', 'controls'];

type Parsed = { ok: true; body: PartyRegistryBody } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortText = (v: unknown, max = 200): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 100 && v.every((s) => shortText(s, 500));

function unknownMember(v: Record<string, unknown>, allowed: string[], where: string): string | null {
  const extra = Object.keys(v).find((k) => !allowed.includes(k));
  return extra === undefined ? null : `${where} has an unknown member \`${extra.slice(0, 64)}\``;
}

/**
 * Checks the shape of a registry body: every member known and well-typed, KIA ids and provider
 * ids unique. That a KIA id is the hash of its key is checked by `verifyPartyRegistry` (it
 * needs a digest).
 */
export function parsePartyRegistryBody(v: unknown): Parsed {
  const no = (reason: string): Parsed => ({ ok: false, reason });
  if (!isObject(v)) return no('the registry is not a JSON object');
  const extra = unknownMember(v, TOP, 'the registry');
  if (extra) return no(extra);
  if (v.registry_type !== REGISTRY_TYPE) return no(`\`registry_type\` must be \`${REGISTRY_TYPE}\``);
  if (!shortText(v.registry_id) || !ID.test(v.registry_id)) return no('`registry_id` must be an id of letters, digits and `._:@/-` (at most 200)');
  if (typeof v.version !== 'number' || !Number.isSafeInteger(v.version) || v.version < 1) return no('`version` must be a whole number ≥ 1');
  if (typeof v.issued_at !== 'string' || !RFC3339.test(v.issued_at) || Number.isNaN(Date.parse(v.issued_at))) return no('`issued_at` must be an RFC 3339 date-time');
  if (!Array.isArray(v.kernels) || v.kernels.length === 0 || v.kernels.length > MAX_ENTRIES) return no(`\`kernels\` must list 1 to ${MAX_ENTRIES} kernels`);
  if (!Array.isArray(v.resource_providers) || v.resource_providers.length > MAX_ENTRIES) return no(`\`resource_providers\` must be a list of at most ${MAX_ENTRIES}`);
  const ids = new Set<string>();
  for (const [i, k] of v.kernels.entries()) {
    const at = `kernels[${i}]`;
    if (!isObject(k)) return no(`${at} is not an object`);
    const bad = unknownMember(k, KERNEL, at);
    if (bad) return no(bad);
    if (typeof k.kia_id !== 'string' || !HEX32.test(k.kia_id)) return no(`${at}.kia_id must be 64 lowercase hex digits (SHA-256 of the group key)`);
    if (typeof k.group_public_key !== 'string' || !HEX32.test(k.group_public_key)) return no(`${at}.group_public_key must be a 32-byte Ed25519 key in lowercase hex`);
    if (k.frost_threshold_config !== undefined && !shortText(k.frost_threshold_config)) return no(`${at}.frost_threshold_config must be a short string`);
    if (k.operator_id !== undefined && !shortText(k.operator_id, 500)) return no(`${at}.operator_id must be a short string`);
    if (ids.has(k.kia_id)) return no(`${at}.kia_id is listed twice`);
    ids.add(k.kia_id);
  }
  const providers = new Set<string>();
  for (const [i, p] of v.resource_providers.entries()) {
    const at = `resource_providers[${i}]`;
    if (!isObject(p)) return no(`${at} is not an object`);
    const bad = unknownMember(p, PROVIDER, at);
    if (bad) return no(bad);
    if (!shortText(p.provider_id) || !ID.test(p.provider_id)) return no(`${at}.provider_id must be an id of letters, digits and \`._:@/-\``);
    if (typeof p.acd_required !== 'boolean') return no(`${at}.acd_required must be true or false`);
    if (!stringList(p.resource_audiences)) return no(`${at}.resource_audiences must be a list of strings`);
    if (p.acd_requirements !== undefined) {
      const r = p.acd_requirements;
      if (!isObject(r)) return no(`${at}.acd_requirements is not an object`);
      const badR = unknownMember(r, REQUIREMENTS, `${at}.acd_requirements`);
      if (badR) return no(badR);
      if (typeof r.jurisdiction !== 'string' || !/^[A-Z]{2}$/.test(r.jurisdiction)) return no(`${at}.acd_requirements.jurisdiction must be an ISO 3166-1 alpha-2 code`);
      if (r.regulatory_regimes !== undefined && !stringList(r.regulatory_regimes)) return no(`${at}.acd_requirements.regulatory_regimes must be a list of strings`);
      if (r.controls !== undefined && !stringList(r.controls)) return no(`${at}.acd_requirements.controls must be a list of strings`);
      if (r.min_tiers !== undefined) {
        if (!isObject(r.min_tiers)) return no(`${at}.acd_requirements.min_tiers is not an object`);
        for (const [t, n] of Object.entries(r.min_tiers)) {
          if (!(TIERS as readonly string[]).includes(t)) return no(`${at}.acd_requirements.min_tiers has an unknown tier \`${t.slice(0, 32)}\``);
          if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return no(`${at}.acd_requirements.min_tiers.${t} must be a whole number ≥ 0`);
        }
      }
    }
    if (providers.has(p.provider_id)) return no(`${at}.provider_id is listed twice`);
    providers.add(p.provider_id);
  }
  return { ok: true, body: v as unknown as PartyRegistryBody };
}
