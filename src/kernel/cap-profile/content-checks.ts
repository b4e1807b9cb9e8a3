import type { InspectedPolicy, PolicyInspection } from '../../ports/cap-profile.ts';
import { canonicalJson } from '../jcs.ts';
import { bareHash, CAP_TIERS, controlMapOf, type CapProfileBody } from './cap-profile.ts';
import { findConflicts } from './conflict.ts';
import { unofficialTier1 } from './conformance.ts';
import type { CapRefusalCode } from './refusal.ts';

/** One reason the kernel would refuse a profile's content, with the refusal code it would give. */
export type ContentProblem = { code: CapRefusalCode; message: string };

/**
 * Every annotation problem of a policy set, in the order the kernel finds them (it refuses
 * with the first): `@id` present and unique, `@tier` one of 0-A / 0-B / 1 / 2,
 * `@authority_source_uri` a public https URI, `@hem` (a HEM class, e.g. `HEM-HIGH-1`) only on
 * a forbid policy, and (with a body) `controls` as annotated.
 */
export function annotationProblems(policies: InspectedPolicy[], controls: CapProfileBody['controls'] | null): string[] {
  if (policies.length === 0) return ['the profile holds no policy'];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [i, p] of policies.entries()) {
    if (p.id === null || p.id === '') {
      out.push(`policy ${i} has no \`@id\``);
      continue;
    }
    if (seen.has(p.id)) out.push(`policy id \`${p.id}\` appears twice`);
    seen.add(p.id);
    const tier = p.annotations.tier;
    if (tier === undefined) out.push(`policy \`${p.id}\` has no \`@tier\``);
    else if (!(CAP_TIERS as readonly string[]).includes(tier)) out.push(`policy \`${p.id}\` has \`@tier("${tier}")\`, expected one of ${CAP_TIERS.join(', ')}`);
    const uri = p.annotations.authority_source_uri;
    if (uri !== undefined && !isPublicHttpsUri(uri)) out.push(`policy \`${p.id}\` has \`@authority_source_uri\` \`${uri}\`, not a public https uri`);
    const hem = p.annotations.hem;
    if (hem !== undefined && !/^[A-Z][A-Z0-9-]{0,63}$/.test(hem)) out.push(`policy \`${p.id}\` has \`@hem("${hem.slice(0, 64)}")\`, expected a HEM class such as \`HEM-HIGH-1\``);
    else if (hem !== undefined && p.effect !== 'forbid') out.push(`policy \`${p.id}\` is a permit with \`@hem\`: only a forbid policy's DENY opens a human escalation`);
  }
  if (out.length === 0 && controls !== null && canonicalJson(controls) !== canonicalJson(controlMapOf(policies))) {
    out.push('`controls` does not match the policies\' `@cap_rrs_control_id` and `@authority_source_uri` annotations');
  }
  return out;
}

/**
 * Every problem the kernel's content checks (P4 steps 3, 4, 7 and 8; see
 * `verifyCapProfileUpdate`) find in a policy set, without signatures or the active profile:
 * what `kee policy validate` reports offline. `body` gives `controls`, the claimed
 * `cedar_policy_hash` and `profile_kind`; without one (bare Cedar text) those come from
 * `kind` and are not compared.
 */
export function contentProblems(inspection: PolicyInspection, body: Pick<CapProfileBody, 'controls' | 'cedar_policy_hash' | 'profile_kind'> | null, kind: CapProfileBody['profile_kind'] = 'standard'): ContentProblem[] {
  if (inspection.type === 'failure') return [{ code: 'CAP_POLICY_INVALID', message: `policies do not parse: ${inspection.message}` }];
  const out: ContentProblem[] = annotationProblems(inspection.policies, body?.controls ?? null).map((message) => ({ code: 'CAP_ANNOTATION_INVALID', message }));
  if (inspection.cedarPolicyHash === null) out.push({ code: 'CAP_POLICY_INVALID', message: `the policy engine refuses the set: ${inspection.engineError ?? 'unknown error'}` });
  else if (body !== null && bareHash(body.cedar_policy_hash) !== inspection.cedarPolicyHash) {
    out.push({ code: 'CAP_POLICY_HASH_MISMATCH', message: `\`cedar_policy_hash\` is \`${bareHash(body.cedar_policy_hash)}\` but the policies hash to \`${inspection.cedarPolicyHash}\`` });
  }
  const named = (id: string) => (id === '' ? 'without `@id`' : `\`${id}\``);
  for (const c of findConflicts(inspection.policies)) {
    out.push({ code: 'CAP_CONFLICT', message: `tier 2 permit ${named(c.permit)} may allow what tier ${c.forbid_tier} forbid ${named(c.forbid)} prohibits` });
  }
  if ((body?.profile_kind ?? kind) === 'government') {
    for (const [i, p] of inspection.policies.entries()) {
      if (!p.annotations.authority_source_uri) out.push({ code: 'CAP_AUTHORITY_SOURCE_MISSING', message: `government profile: policy ${p.id ? `\`${p.id}\`` : i} has no \`@authority_source_uri\`` });
    }
    for (const id of unofficialTier1(inspection.policies.filter((p) => p.annotations.authority_source_uri))) {
      out.push({ code: 'CAP_AUTHORITY_SOURCE_UNOFFICIAL', message: `government profile: tier 1 policy \`${id}\` has an \`@authority_source_uri\` that is not from an official law-publication scheme` });
    }
  }
  return out;
}

/** An absolute https URI with a host and no credentials (digest 4.8: resolvable without authentication). */
export function isPublicHttpsUri(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
