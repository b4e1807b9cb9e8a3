import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';

/** The CAP tiers a policy's `@tier` annotation may name (CAP-04). */
export const CAP_TIERS = ['0-A', '0-B', '1', '2'] as const;
export type CapTier = (typeof CAP_TIERS)[number];

/** CAP-RRS `catalog_version` (digest 3.5): which catalog this is and which one it replaces. */
export type CatalogVersion = {
  version_id: string;
  /** The `version_id` this catalog replaces; null only for the first catalog of a deployment. */
  supersedes: string | null;
  published_by: string;
  published_at: string;
  effective_date?: string;
  amendment_basis?: string;
};

/** `cedar_policy_id -> cap_rrs_control_id -> authority_source_uri`, as the annotations say. */
export type ControlMap = Record<string, { cap_rrs_control_id: string | null; authority_source_uri: string | null }>;

/**
 * The signed body of a CAP Profile (digest choice 5.10). Publishers sign its JCS form; the
 * kernel refuses any other key, so what was signed is exactly what is activated.
 */
export type CapProfileBody = {
  cap_profile_id: string;
  /** Monotone counter: an update must carry a higher version than the active profile. */
  version: number;
  /** RFC 3339. */
  effective_date: string;
  catalog_version: CatalogVersion;
  profile_kind: 'standard' | 'government';
  /** The engine's SHA-256 over JCS of the canonical policy set (digest 4.1), lowercase hex. */
  cedar_policy_hash: string;
  /** Cedar policy text, every policy annotated with `@id` and `@tier`. */
  policies: string;
  controls: ControlMap;
  /**
   * Data minimisation (KEE §8.4), optional: `digest` makes decision records carry only
   * `subject_digest` and the entity types, never the raw principal and resource ids (nor reason
   * texts, which may quote them). Absent or `raw`: the raw ids are recorded.
   */
  record_subjects?: 'raw' | 'digest';
};

/** Largest `policies` text accepted (characters). */
export const MAX_POLICIES_CHARS = 4 * 1024 * 1024;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,255}$/;
const HASH = /^(?:sha256:)?[0-9a-f]{64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const BODY_KEYS = ['cap_profile_id', 'version', 'effective_date', 'catalog_version', 'profile_kind', 'cedar_policy_hash', 'policies', 'controls'];
/** Fields a body may carry (signed like the rest) but need not. */
const OPTIONAL_BODY_KEYS = ['record_subjects'];
const CATALOG_KEYS = ['version_id', 'supersedes', 'published_by', 'published_at', 'effective_date', 'amendment_basis'];

export type BodyCheck = { ok: true; body: CapProfileBody } | { ok: false; reason: string };

/** Structural validation of a decoded body: every field present, typed and bounded; no other field. */
export function parseCapProfileBody(value: unknown): BodyCheck {
  if (!isRecord(value)) return bad('the payload is not a JSON object');
  const extra = Object.keys(value).filter((k) => !BODY_KEYS.includes(k) && !OPTIONAL_BODY_KEYS.includes(k));
  if (extra.length > 0) return bad(`unknown field \`${extra[0]}\``);
  for (const k of BODY_KEYS) if (!(k in value)) return bad(`\`${k}\` is missing`);
  const v = value as Record<string, unknown>;
  if (typeof v.cap_profile_id !== 'string' || !ID.test(v.cap_profile_id)) return bad('`cap_profile_id` must be 1-256 letters, digits or `._:@/-`');
  if (typeof v.version !== 'number' || !Number.isSafeInteger(v.version) || v.version < 1) return bad('`version` must be a positive integer');
  if (!isRfc3339(v.effective_date)) return bad('`effective_date` must be an RFC 3339 date-time');
  if (v.profile_kind !== 'standard' && v.profile_kind !== 'government') return bad('`profile_kind` must be `standard` or `government`');
  if ('record_subjects' in v && v.record_subjects !== 'raw' && v.record_subjects !== 'digest') return bad('`record_subjects` must be `raw` or `digest`');
  if (typeof v.cedar_policy_hash !== 'string' || !HASH.test(v.cedar_policy_hash)) return bad('`cedar_policy_hash` must be 64 lowercase hex characters');
  if (typeof v.policies !== 'string' || v.policies.trim() === '') return bad('`policies` must be non-empty Cedar policy text');
  if (v.policies.length > MAX_POLICIES_CHARS) return bad(`\`policies\` exceeds ${MAX_POLICIES_CHARS} characters`);
  const catalog = checkCatalog(v.catalog_version);
  if (typeof catalog === 'string') return bad(catalog);
  const controls = checkControls(v.controls);
  if (controls) return bad(controls);
  return { ok: true, body: value as CapProfileBody };
}

function checkCatalog(c: unknown): string | null {
  if (!isRecord(c)) return '`catalog_version` must be an object';
  const extra = Object.keys(c).filter((k) => !CATALOG_KEYS.includes(k));
  if (extra.length > 0) return `unknown field \`catalog_version.${extra[0]}\``;
  if (typeof c.version_id !== 'string' || !ID.test(c.version_id)) return '`catalog_version.version_id` must be 1-256 letters, digits or `._:@/-`';
  if (c.supersedes !== null && (typeof c.supersedes !== 'string' || !ID.test(c.supersedes))) return '`catalog_version.supersedes` must be a version id or null';
  if (typeof c.published_by !== 'string' || c.published_by.length === 0 || c.published_by.length > 256) return '`catalog_version.published_by` must be a non-empty string';
  if (!isRfc3339(c.published_at)) return '`catalog_version.published_at` must be an RFC 3339 date-time';
  if ('effective_date' in c && !isRfc3339(c.effective_date)) return '`catalog_version.effective_date` must be an RFC 3339 date-time';
  if ('amendment_basis' in c && (typeof c.amendment_basis !== 'string' || c.amendment_basis.length > 4096)) return '`catalog_version.amendment_basis` must be a string';
  return null;
}

function checkControls(c: unknown): string | null {
  if (!isRecord(c)) return '`controls` must be an object keyed by policy id';
  for (const [id, entry] of Object.entries(c)) {
    if (!isRecord(entry)) return `\`controls.${id}\` must be an object`;
    const keys = Object.keys(entry).sort().join(',');
    if (keys !== 'authority_source_uri,cap_rrs_control_id') return `\`controls.${id}\` must have exactly \`cap_rrs_control_id\` and \`authority_source_uri\``;
    for (const k of ['cap_rrs_control_id', 'authority_source_uri'] as const) {
      if (entry[k] !== null && typeof entry[k] !== 'string') return `\`controls.${id}.${k}\` must be a string or null`;
    }
  }
  return null;
}

/** The control map a policy set's annotations define; the body must carry exactly this. */
export function controlMapOf(policies: { id: string | null; annotations: Record<string, string> }[]): ControlMap {
  const map: ControlMap = {};
  for (const p of policies) {
    if (p.id === null) continue;
    map[p.id] = { cap_rrs_control_id: p.annotations.cap_rrs_control_id ?? null, authority_source_uri: p.annotations.authority_source_uri ?? null };
  }
  return map;
}

/** `cap_profile_hash` (digest choice 5.5): SHA-256 over the JCS form of the whole body, lowercase hex. */
export async function capProfileHash(body: CapProfileBody): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(body)));
  return toHex(new Uint8Array(digest));
}

/** A publisher key id: lowercase hex SHA-256 of the raw 32-byte Ed25519 public key. */
export async function publisherKid(publicKey: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey as Uint8Array<ArrayBuffer>)));
}

/** Strips the optional `sha256:` prefix (digest choice 5.3). */
export function bareHash(h: string): string {
  return h.startsWith('sha256:') ? h.slice(7) : h;
}

export function isRfc3339(v: unknown): v is string {
  return typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(reason: string): BodyCheck {
  return { ok: false, reason };
}
