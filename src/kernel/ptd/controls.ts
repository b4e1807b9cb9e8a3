import { DomainError } from '../errors.ts';
import type { LivePolicy } from '../policy/activation.ts';
import { provenanceOf } from '../policy/provenance.ts';

/** One policy implementing a control, as the policy transparency endpoint shows it. */
export type PtdPolicy = { cedar_policy_id: string; tier: string | null; authority_source_uri: string | null; cedar_policy: string };

/** `GET /v1/ptd/controls/{control_id}` (digest 4.9 steps 16-17). */
export type PtdControl = {
  control_id: string;
  cap_profile_id: string;
  cap_profile_version: number;
  cap_profile_hash: string | null;
  cedar_policy_hash: string;
  /** The first policy implementing the control (by policy id): its id, tier, statute and Cedar text. */
  cedar_policy_id: string;
  tier: string | null;
  authority_source_uri: string | null;
  cedar_policy: string;
  /** Every policy of the serving set annotated `@cap_rrs_control_id(control_id)`, by policy id. */
  policies: PtdPolicy[];
};

/**
 * Policy transparency (PTD): the policies of the serving set that implement a CAP-RRS control
 * (`@cap_rrs_control_id`), with their Cedar text, tier and `@authority_source_uri`, named
 * against the profile and policy-set hashes a decision record carries. CONTROL_NOT_FOUND for a control
 * no serving policy names.
 */
export function ptdControl(live: LivePolicy, controlId: string): PtdControl {
  const policies: PtdPolicy[] = [...provenanceOf(live.engine).values()]
    .filter((p) => p.cap_rrs_control_id === controlId)
    .sort((a, b) => (a.cedar_policy_id < b.cedar_policy_id ? -1 : a.cedar_policy_id > b.cedar_policy_id ? 1 : 0))
    .map((p) => ({ cedar_policy_id: p.cedar_policy_id, tier: live.info.tiers[p.cedar_policy_id] ?? p.tier, authority_source_uri: p.authority_source_uri, cedar_policy: p.text }));
  const first = policies[0];
  if (!first) throw new DomainError('CONTROL_NOT_FOUND', `no policy of the serving set implements control \`${controlId.slice(0, 200)}\``);
  return {
    control_id: controlId,
    cap_profile_id: live.info.capProfileId,
    cap_profile_version: live.version,
    cap_profile_hash: live.capProfileHash,
    cedar_policy_hash: live.info.cedarPolicyHash,
    ...first,
    policies,
  };
}
