import type { InspectedPolicy, JwsVerifier, PolicyInspection } from '../../ports/cap-profile.ts';
import { DomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import { bareHash, capProfileHash, parseCapProfileBody, publisherKid, type CapProfileBody } from './cap-profile.ts';
import { findConflicts } from './conflict.ts';
import { annotationProblems, isPublicHttpsUri } from './content-checks.ts';
import { GOVERNMENT_LEVEL, governmentNonconformance, OFFICIAL_AUTHORITY_SOURCES, unofficialTier1, type DeploymentConformance } from './conformance.ts';
import { refuse, type CapProfileRefusal } from './refusal.ts';
import { countPublisherSignatures, signatureDetail, type PublisherKey } from './signatures.ts';

/** How many of the configured publishers must sign (digest 2.4: 2-of-3). */
export const PUBLISHER_THRESHOLD = 2;
export const PUBLISHER_COUNT = 3;
/** At most this many offending policies are listed in a refusal's detail (the count is always given). */
const MAX_LISTED = 20;

/** What the verifier needs to know about the profile being replaced. */
export type ActiveProfileFacts = {
  capProfileId: string;
  /** 0 for the built-in profile a kernel starts with. */
  version: number;
  /** `catalog_version.version_id` of the active profile; null (or absent) for the built-in one. */
  catalogVersionId?: string | null;
  effectiveDate?: string | null;
};

export type VerifyUpdateDeps = {
  /** The three configured publisher keys: raw 32-byte Ed25519 keys, or already named by `publisherKeySet`. */
  publisherKeys: Uint8Array[] | PublisherKey[];
  jws: JwsVerifier;
  active: ActiveProfileFacts;
  /** Parses policy text without activating it; the hash is the serving engine's. */
  inspectPolicies: (policiesText: string) => PolicyInspection;
  /** Current time (RFC 3339 or epoch ms), for `effective_date`. */
  now: () => string;
  /** The deployment's conformance level (default KEE1-L1, no development switch): a government profile needs KEE1-L3. */
  conformance?: DeploymentConformance;
};

/** An update that passed every check, ready for activation. */
export type VerifiedCapProfile = {
  refused: false;
  body: CapProfileBody;
  cap_profile_hash: string;
  cedar_policy_hash: string;
  /** Distinct configured publishers whose signatures verified (their kids, sorted). */
  publishers: string[];
  unknown_kids: string[];
  /** The policy text to activate: exactly the signed `policies`. */
  policies: string;
  /** Set when the profile was accepted only under KEE_ALLOW_NONCONFORMANT: why the deployment is non-conformant. */
  nonconformance?: string;
  policy_ids: string[];
  tiers: Record<string, string>;
};

/**
 * Decides whether a submitted CAP Profile update may be activated (KEE-1 P4). Checks, in this
 * order, the first failure deciding the refusal:
 *
 * 1. signatures, before anything in the payload is read: ≥ 2 distinct configured publishers
 *    over the exact payload (`CAP_SIGNATURES_INSUFFICIENT`);
 * 2. the payload is the JCS form of a well-formed body (`CAP_PROFILE_MALFORMED`);
 * 3. the policies parse (`CAP_POLICY_INVALID`), each has a unique `@id`, a `@tier` of 0-A / 0-B /
 *    1 / 2, an https `@authority_source_uri` if any, and `controls` equals what the annotations
 *    say (`CAP_ANNOTATION_INVALID`); the serving engine loads them (`CAP_POLICY_INVALID`);
 * 4. `cedar_policy_hash` equals the engine's hash of `policies` (`CAP_POLICY_HASH_MISMATCH`);
 * 5. `version` is above the active one (`CAP_ROLLBACK`);
 * 6. `catalog_version.supersedes` names the active catalog and `effective_date` does not
 *    precede the active one (`CAP_CATALOG_VERSION_CONFLICT`), and is not in the future
 *    (`CAP_NOT_YET_EFFECTIVE`: staged activation is not supported);
 * 7. no Tier 2 permit contradicts a Tier 1 / 0 forbid (`CAP_CONFLICT`, see `findConflicts`);
 * 8. a government profile gives every policy an `@authority_source_uri` (`CAP_AUTHORITY_SOURCE_MISSING`),
 *    every Tier 1 one from an official law-publication scheme (`CAP_AUTHORITY_SOURCE_UNOFFICIAL`);
 * 9. a government profile runs only on a KEE1-L3 deployment (`CAP_CONFORMANCE_LEVEL`), unless
 *    the development switch allows it (the result then names the non-conformance).
 */
export async function verifyCapProfileUpdate(input: unknown, deps: VerifyUpdateDeps): Promise<VerifiedCapProfile | CapProfileRefusal> {
  if (deps.publisherKeys.length !== PUBLISHER_COUNT) throw new DomainError('UNAVAILABLE', `cap profile updates need exactly ${PUBLISHER_COUNT} configured publisher keys`);
  const keys = deps.publisherKeys.every((k) => k instanceof Uint8Array) ? await publisherKeySet(deps.publisherKeys as Uint8Array[]) : (deps.publisherKeys as PublisherKey[]);

  // 1. signatures
  const sigs = await countPublisherSignatures(input, keys, deps.jws);
  const sigDetail = signatureDetail(sigs);
  if (sigs.malformed) return refuse('CAP_SIGNATURES_INSUFFICIENT', sigs.malformed, sigDetail);
  if (sigs.publishers.length < PUBLISHER_THRESHOLD || sigs.payload === null) {
    const n = sigs.publishers.length;
    return refuse('CAP_SIGNATURES_INSUFFICIENT', `${n} of ${PUBLISHER_COUNT} configured publishers signed the update, ${PUBLISHER_THRESHOLD} are required`, sigDetail);
  }

  // 2. body
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(sigs.payload);
    value = JSON.parse(text);
  } catch {
    return refuse('CAP_PROFILE_MALFORMED', 'the signed payload is not UTF-8 JSON', sigDetail);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(value);
  } catch (e) {
    return refuse('CAP_PROFILE_MALFORMED', `the signed payload cannot be canonicalized: ${e instanceof Error ? e.message : String(e)}`, sigDetail);
  }
  if (canonical !== text) return refuse('CAP_PROFILE_MALFORMED', 'the signed payload is not in JCS (RFC 8785) form', sigDetail);
  const parsed = parseCapProfileBody(value);
  if (!parsed.ok) return refuse('CAP_PROFILE_MALFORMED', parsed.reason, sigDetail);
  const body = parsed.body;
  const about = { ...sigDetail, cap_profile_id: body.cap_profile_id, version: body.version };

  // 3. policies and annotations
  const inspection = deps.inspectPolicies(body.policies);
  if (inspection.type === 'failure') return refuse('CAP_POLICY_INVALID', `policies do not parse: ${inspection.message}`, about);
  const annotationProblem = checkAnnotations(inspection.policies, body);
  if (annotationProblem) return refuse('CAP_ANNOTATION_INVALID', annotationProblem, about);
  if (inspection.cedarPolicyHash === null) return refuse('CAP_POLICY_INVALID', `the policy engine refuses the set: ${inspection.engineError ?? 'unknown error'}`, about);

  // 4. policy hash
  const claimed = bareHash(body.cedar_policy_hash);
  if (claimed !== inspection.cedarPolicyHash) {
    return refuse('CAP_POLICY_HASH_MISMATCH', `\`cedar_policy_hash\` is \`${claimed}\` but the policies hash to \`${inspection.cedarPolicyHash}\``, {
      ...about,
      claimed,
      computed: inspection.cedarPolicyHash,
    });
  }

  // 5. rollback
  if (body.version <= deps.active.version) {
    return refuse('CAP_ROLLBACK', `version ${body.version} is not above the active version ${deps.active.version}`, {
      ...about,
      active_cap_profile_id: deps.active.capProfileId,
      active_version: deps.active.version,
    });
  }

  // 6. catalog version and dates
  const activeCatalog = deps.active.catalogVersionId ?? null;
  if (activeCatalog !== null && body.catalog_version.supersedes !== activeCatalog) {
    return refuse('CAP_CATALOG_VERSION_CONFLICT', `\`catalog_version.supersedes\` is \`${body.catalog_version.supersedes}\`, the active catalog is \`${activeCatalog}\``, {
      ...about,
      active_catalog_version: activeCatalog,
    });
  }
  const activeDate = deps.active.effectiveDate ?? null;
  if (activeDate !== null && Date.parse(body.effective_date) < Date.parse(activeDate)) {
    return refuse('CAP_CATALOG_VERSION_CONFLICT', `\`effective_date\` ${body.effective_date} precedes the active profile's ${activeDate}`, about);
  }
  if (Date.parse(body.effective_date) > Date.parse(deps.now())) {
    return refuse('CAP_NOT_YET_EFFECTIVE', `\`effective_date\` ${body.effective_date} is in the future: submit the update once it is effective`, about);
  }

  // 7. tier conflicts
  const conflicts = findConflicts(inspection.policies);
  if (conflicts.length > 0) {
    const first = conflicts[0] as (typeof conflicts)[number];
    return refuse('CAP_CONFLICT', `tier 2 permit \`${first.permit}\` may allow what tier ${first.forbid_tier} forbid \`${first.forbid}\` prohibits`, {
      ...about,
      conflict_detected: true,
      conflict_count: conflicts.length,
      conflicts: conflicts.slice(0, MAX_LISTED),
    });
  }

  // 8. government profile: statute URIs
  if (body.profile_kind === 'government') {
    const missing = inspection.policies.filter((p) => !p.annotations.authority_source_uri).map((p) => p.id ?? '');
    if (missing.length > 0) {
      return refuse('CAP_AUTHORITY_SOURCE_MISSING', `government profile: policy \`${missing[0]}\` has no \`@authority_source_uri\``, {
        ...about,
        missing_count: missing.length,
        policies_without_authority_source: missing.slice(0, MAX_LISTED),
      });
    }
    const unofficial = unofficialTier1(inspection.policies);
    if (unofficial.length > 0) {
      const first = inspection.policies.find((p) => p.id === unofficial[0]);
      return refuse('CAP_AUTHORITY_SOURCE_UNOFFICIAL', `government profile: tier 1 policy \`${unofficial[0]}\` has \`@authority_source_uri\` \`${first?.annotations.authority_source_uri ?? ''}\`, not from an official law-publication scheme (${OFFICIAL_AUTHORITY_SOURCES.map((s) => s.host).join(', ')})`, {
        ...about,
        unofficial_count: unofficial.length,
        policies_with_unofficial_authority_source: unofficial.slice(0, MAX_LISTED),
      });
    }
  }

  // 9. government profile: conformance level
  let nonconformance: string | null = null;
  if (body.profile_kind === 'government') {
    const conformance = deps.conformance ?? { level: 'KEE1-L1', allowNonconformant: false };
    nonconformance = governmentNonconformance(conformance);
    if (nonconformance !== null && !conformance.allowNonconformant) {
      return refuse('CAP_CONFORMANCE_LEVEL', `a government profile requires ${GOVERNMENT_LEVEL}; this deployment is ${conformance.level} (set KEE_ALLOW_NONCONFORMANT=1 only for development: the manifest then says the deployment is non-conformant)`, {
        ...about,
        conformance_level: conformance.level,
        required_conformance_level: GOVERNMENT_LEVEL,
      });
    }
  }

  const tiers: Record<string, string> = {};
  for (const p of inspection.policies) tiers[p.id as string] = p.annotations.tier as string;
  return {
    refused: false,
    body,
    cap_profile_hash: await capProfileHash(body),
    cedar_policy_hash: inspection.cedarPolicyHash,
    publishers: sigs.publishers,
    unknown_kids: sigs.unknownKids,
    policies: body.policies,
    policy_ids: Object.keys(tiers).sort(),
    tiers,
    ...(nonconformance === null ? {} : { nonconformance }),
  };
}

/** `@id` unique, `@tier` valid, `@authority_source_uri` https, and `controls` as annotated: the first problem. */
function checkAnnotations(policies: InspectedPolicy[], body: CapProfileBody): string | null {
  return annotationProblems(policies, body.controls)[0] ?? null;
}

export { isPublicHttpsUri };

/** Validates the configured publisher keys (exactly three distinct raw Ed25519 keys) and names them. */
export async function publisherKeySet(keys: Uint8Array[]): Promise<PublisherKey[]> {
  if (keys.length !== PUBLISHER_COUNT) throw new DomainError('INVALID_INPUT', `exactly ${PUBLISHER_COUNT} publisher keys must be configured, got ${keys.length}`);
  const out: PublisherKey[] = [];
  for (const [i, k] of keys.entries()) {
    if (k.length !== 32) throw new DomainError('INVALID_INPUT', `publisher key ${i + 1} is ${k.length} bytes, an ed25519 public key is 32`);
    const kid = await publisherKid(k);
    if (out.some((o) => o.kid === kid)) throw new DomainError('INVALID_INPUT', `publisher key ${i + 1} is configured twice: the three keys must be distinct`);
    out.push({ kid, publicKey: k.slice() });
  }
  return out;
}
