/**
 * The resource provider's side of the ACD handshake (KEE-1 P3, ACD §7.3 / §7.5; docs/acd.md):
 * the six validations in order, a cache that follows the §7.5 rules, the handshake call itself
 * and the report of the access decision back to the kernel (ALE-058). Web APIs and `jose` only.
 */
import { base64url, compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { canonicalJson } from '../kernel/jcs.ts';
import type { VerifiedPartyRegistry } from './party-registry.ts';

/** Media type of an ACD Record. */
export const ACD_MEDIA_TYPE = 'application/soos-acd+json';

/** The record as the kernel serves it (digest 3.2; the members the validations read are typed). */
export type AcdRecord = {
  acd_session_id: string;
  agent_xpid: string;
  aep_session_id: string;
  primary_jurisdiction: string | null;
  jurisdictions: { jurisdiction_code: string; regulatory_regime: string[]; ptd_endpoint: string | null }[];
  acd_validity_not_before: string;
  acd_validity_not_after: string;
  prohibition_tier_summary: { tier_0a: number; tier_0b: number; tier_1: number; tier_2: number };
  operator_id: string | null;
  gec_signature: string;
  [member: string]: unknown;
};

/** What this provider requires of a record (validations 4 and 5). */
export type AcdRequirements = {
  /** Validation 4: the record must cover this jurisdiction (ISO 3166-1 alpha-2)… */
  jurisdiction: string;
  /** …and, in it, each of these regulatory regimes (e.g. `APPI`). */
  regulatoryRegimes?: string[];
  /** Validation 5: the least number of prohibitions per tier the agent's profile must enforce. */
  minTiers?: Partial<AcdRecord['prohibition_tier_summary']>;
  /** Validation 5 too: CAP-RRS control ids the record must name in `cap_rrs_controls` (e.g. `appi:art19-data-minimization`). */
  controls?: string[];
};

export type AcdValidationInput = {
  /**
   * Where the key that must sign the record comes from (exactly one):
   * `partyRegistry`, a KIA Party Registry verified against the publisher keys this provider
   * pins (`verifyPartyRegistry`): the key is the group key it lists for the kernel the record
   * names (`gec_manifest_ref`), and a kernel it does not list is refused; or
   * `kiaPublicKey`, a key pinned some other way (32 raw Ed25519 bytes, or their lowercase hex).
   */
  partyRegistry?: VerifiedPartyRegistry;
  kiaPublicKey?: Uint8Array | string;
  /** Validation 2: the agent's XPID as the kernel derived it (bare UUID or `urn:soos:xpid:uuid:` form). */
  expectedXpid: string;
  /** ACD-02: the AEP session the record is presented in. */
  aepSessionId: string;
  requirements: AcdRequirements;
  /** This provider's clock, epoch ms. Default `Date.now`. */
  now?: number;
  /** Tolerated clock difference, seconds. Default 5. */
  maxSkewSeconds?: number;
};

/** Which of the six validations refused, with the record layer and member at fault (ALE-059 / ALE-062 fields). */
export type AcdRefusal = {
  ok: false;
  step: 1 | 2 | 3 | 4 | 5 | 6;
  failed_layer: 1 | 2 | 3;
  failed_field: string;
  denial_reason: 'LAYER_INSPECTION_FAILED' | 'EXPIRED' | 'XPID_MISMATCH';
  reason: string;
};
export type AcdValidation = { ok: true; record: AcdRecord } | AcdRefusal;

const refuse = (step: AcdRefusal['step'], failed_layer: AcdRefusal['failed_layer'], failed_field: string, reason: string, denial_reason: AcdRefusal['denial_reason'] = 'LAYER_INSPECTION_FAILED'): AcdRefusal => ({ ok: false, step, failed_layer, failed_field, denial_reason, reason });
const XPID_URN = 'urn:soos:xpid:uuid:';
const TIERS = ['tier_0a', 'tier_0b', 'tier_1', 'tier_2'] as const;

function rawKey(key: Uint8Array | string): Uint8Array | null {
  if (key instanceof Uint8Array) return key.length === 32 ? key : null;
  if (!/^[0-9a-f]{64}$/.test(key)) return null;
  return Uint8Array.from(key.match(/../g) as string[], (h) => parseInt(h, 16));
}

/**
 * ACD §7.3, in order; any failure is a denial: 1 `gec_signature` verifies (EdDSA, detached, over
 * the JCS of every other member) against the KIA key only; 2 `agent_xpid` is the agent's XPID and
 * `aep_session_id` the session it is presented in; 3 this clock is inside
 * `[acd_validity_not_before, acd_validity_not_after)`; 4 the jurisdiction (and its regimes) is
 * covered; 5 the tier counts meet the requirements; 6 `operator_id` is not null. The caller then
 * stores `acd_session_id` before it grants (and may report it: `reportAcdDecision`).
 */
export async function validateAcdRecord(body: string | AcdRecord, input: AcdValidationInput): Promise<AcdValidation> {
  let record: AcdRecord;
  try {
    record = typeof body === 'string' ? (JSON.parse(body) as AcdRecord) : body;
  } catch {
    return refuse(1, 3, 'gec_signature', 'the record is not JSON');
  }
  if (typeof record !== 'object' || record === null || typeof record.gec_signature !== 'string') return refuse(1, 3, 'gec_signature', 'the record carries no `gec_signature`');
  // 1: the detached JWS, against the KIA key only (the header names no other key that could be used)
  const { gec_signature, ...signed } = record;
  const parts = gec_signature.split('.');
  if ((input.partyRegistry === undefined) === (input.kiaPublicKey === undefined)) return refuse(1, 3, 'gec_signature', 'give exactly one of `partyRegistry` and `kiaPublicKey`');
  let key: Uint8Array | null;
  if (input.partyRegistry) {
    const kiaId = /^urn:soos:gec-manifest:([0-9a-f]{64}):/.exec(typeof record.gec_manifest_ref === 'string' ? record.gec_manifest_ref : '')?.[1];
    if (kiaId === undefined) return refuse(1, 2, 'gec_manifest_ref', 'the record names no kernel (`gec_manifest_ref`)');
    const listed = input.partyRegistry.body.kernels.find((k) => k.kia_id === kiaId);
    if (!listed) return refuse(1, 3, 'gec_signature', `kernel ${kiaId} is not in the KIA Party Registry`);
    key = rawKey(listed.group_public_key);
  } else key = rawKey(input.kiaPublicKey as Uint8Array | string);
  if (!key) return refuse(1, 3, 'gec_signature', 'the configured KIA key is not 32 bytes of Ed25519');
  if (parts.length !== 3 || parts[1] !== '') return refuse(1, 3, 'gec_signature', '`gec_signature` is not a detached compact JWS');
  try {
    const header = decodeProtectedHeader(gec_signature);
    if (header.alg !== 'EdDSA') return refuse(1, 3, 'gec_signature', '`gec_signature` is not EdDSA');
    const jwk = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url.encode(key) }, 'EdDSA');
    await compactVerify(`${parts[0]}.${base64url.encode(canonicalJson(signed))}.${parts[2]}`, jwk, { algorithms: ['EdDSA'] });
  } catch {
    return refuse(1, 3, 'gec_signature', `\`gec_signature\` does not verify against the ${input.partyRegistry ? 'group key the party registry lists for its kernel' : 'KIA key'} over the record`);
  }
  // 2: the agent, and the AEP session the record belongs to
  const expected = input.expectedXpid.startsWith(XPID_URN) ? input.expectedXpid : `${XPID_URN}${input.expectedXpid}`;
  if (record.agent_xpid !== expected) return refuse(2, 1, 'agent_xpid', `the record is for ${String(record.agent_xpid)}, not ${expected}`, 'XPID_MISMATCH');
  if (record.aep_session_id !== input.aepSessionId) return refuse(2, 3, 'aep_session_id', 'the record belongs to another AEP session', 'XPID_MISMATCH');
  // 3: the validity window, on this clock
  const now = input.now ?? Date.now();
  const skew = (input.maxSkewSeconds ?? 5) * 1000;
  const from = Date.parse(record.acd_validity_not_before);
  const until = Date.parse(record.acd_validity_not_after);
  if (!(Number.isFinite(from) && Number.isFinite(until))) return refuse(3, 1, 'acd_validity_not_after', 'the validity window is not readable', 'EXPIRED');
  if (now + skew < from) return refuse(3, 1, 'acd_validity_not_before', 'the record is not valid yet', 'EXPIRED');
  if (now - skew >= until) return refuse(3, 1, 'acd_validity_not_after', 'the record has expired', 'EXPIRED');
  // 4: jurisdiction (and its regimes)
  const req = input.requirements;
  const covering = (Array.isArray(record.jurisdictions) ? record.jurisdictions : []).find((j) => j.jurisdiction_code === req.jurisdiction);
  if (!covering) return refuse(4, 1, 'jurisdictions', `the record does not cover jurisdiction ${req.jurisdiction}`);
  const missing = (req.regulatoryRegimes ?? []).filter((r) => !(covering.regulatory_regime ?? []).includes(r));
  if (missing.length > 0) return refuse(4, 1, 'jurisdictions', `jurisdiction ${req.jurisdiction} lacks regime ${missing.join(', ')}`);
  // 5: the tier counts of the agent's profile against this provider's requirements
  const tiers = record.prohibition_tier_summary ?? {};
  for (const t of TIERS) {
    const least = req.minTiers?.[t];
    if (least !== undefined && !(typeof tiers[t] === 'number' && tiers[t] >= least)) return refuse(5, 2, 'prohibition_tier_summary', `${t} is ${String(tiers[t])}, this provider requires at least ${least}`);
  }
  const named = new Set((Array.isArray(record.cap_rrs_controls) ? record.cap_rrs_controls : []).map((c) => c?.cap_rrs_control_id));
  const absent = (req.controls ?? []).filter((c) => !named.has(c));
  if (absent.length > 0) return refuse(5, 2, 'cap_rrs_controls', `the record does not name control ${absent.join(', ')}`);
  // 6: an accountable operator
  if (typeof record.operator_id !== 'string' || record.operator_id.length === 0) return refuse(6, 3, 'operator_id', 'the record names no operator');
  return { ok: true, record };
}

/**
 * ACD §7.5 caching: a record is reused only until `acd_validity_not_after` (or this provider's
 * own shorter `maxFreshnessSeconds`), only in the AEP session it was issued for, and never
 * handed to anyone else (one cache per provider; nothing here serializes it).
 */
export class AcdRecordCache {
  private readonly entries = new Map<string, { record: AcdRecord; until: number }>();
  private readonly maxFreshnessMs: number;
  private readonly now: () => number;

  constructor(options: { maxFreshnessSeconds?: number; now?: () => number } = {}) {
    this.maxFreshnessMs = (options.maxFreshnessSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Keeps a validated record for its AEP session. */
  put(record: AcdRecord): void {
    const until = Math.min(Date.parse(record.acd_validity_not_after), this.now() + this.maxFreshnessMs);
    this.entries.set(record.aep_session_id, { record, until });
  }

  /** The record of `aepSessionId` while fresh; undefined otherwise (a stale one is dropped). */
  get(aepSessionId: string): AcdRecord | undefined {
    const e = this.entries.get(aepSessionId);
    if (!e) return undefined;
    if (this.now() >= e.until || e.record.aep_session_id !== aepSessionId) {
      this.entries.delete(aepSessionId);
      return undefined;
    }
    return e.record;
  }

  /** Drops a session's record (the session ended, or a revocation was seen). */
  drop(aepSessionId: string): void {
    this.entries.delete(aepSessionId);
  }
}

/** How the provider authenticates to the kernel: a fresh client assertion per call (KEE_AUTH=agents); none under `none`. */
export type ProviderAuth = { assertion?: () => Promise<string> | string; fetch?: typeof fetch };

async function headers(auth: ProviderAuth, extra: Record<string, string>): Promise<Record<string, string>> {
  return { ...extra, ...(auth.assertion ? { authorization: `Bearer ${await auth.assertion()}` } : {}) };
}

/** The handshake: `GET /.well-known/soos-acd`. The record's text, or the kernel's refusal (`failed_check`). */
export async function fetchAcdRecord(
  kernelUrl: string,
  aepSessionId: string,
  auth: ProviderAuth = {},
): Promise<{ ok: true; body: string } | { ok: false; status: number; failed_check: number | null; body: string }> {
  const url = `${kernelUrl.replace(/\/+$/, '')}/.well-known/soos-acd?aep_session_id=${encodeURIComponent(aepSessionId)}`;
  const res = await (auth.fetch ?? fetch)(url, { headers: await headers(auth, { accept: ACD_MEDIA_TYPE }) });
  const body = await res.text();
  if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith(ACD_MEDIA_TYPE)) return { ok: true, body };
  let failed: number | null = null;
  try {
    const j = JSON.parse(body) as { failed_check?: unknown };
    if (typeof j.failed_check === 'number') failed = j.failed_check;
  } catch {
    // not the four-check refusal
  }
  return { ok: false, status: res.status, failed_check: failed, body };
}

/** Reports the access decision on a record (`POST /v1/acd/{acd_session_id}/grant`): ALE-058 for a grant, ALE-062 for a denial. */
export async function reportAcdDecision(
  kernelUrl: string,
  acdSessionId: string,
  decision: { decision: 'GRANTED'; confirmation_basis?: 'NOTIFIED' | 'INFERRED' } | { decision: 'DENIED'; denial_reason: AcdRefusal['denial_reason'] | 'FOUR_CHECK_FAILED'; failed_layer?: 1 | 2 | 3; failed_field?: string },
  auth: ProviderAuth = {},
): Promise<{ ok: boolean; status: number; body: string }> {
  const url = `${kernelUrl.replace(/\/+$/, '')}/v1/acd/${encodeURIComponent(acdSessionId)}/grant`;
  const res = await (auth.fetch ?? fetch)(url, { method: 'POST', headers: await headers(auth, { 'content-type': 'application/json' }), body: JSON.stringify(decision) });
  return { ok: res.status === 200, status: res.status, body: await res.text() };
}
