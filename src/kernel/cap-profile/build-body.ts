import type { PolicyInspector } from '../../ports/cap-profile.ts';
import { DomainError } from '../errors.ts';
import { controlMapOf, type CapProfileBody } from './cap-profile.ts';

export type CapProfileMetadata = Omit<CapProfileBody, 'cedar_policy_hash' | 'controls' | 'policies'>;

/**
 * The publisher side: a complete body from Cedar policy text and metadata, with the engine's
 * `cedar_policy_hash` and the control map read from the annotations. Throws INVALID_INPUT when
 * the policies do not parse or the engine refuses them.
 */
export function buildCapProfileBody(meta: CapProfileMetadata, policies: string, inspector: PolicyInspector): CapProfileBody {
  const inspection = inspector.inspect(policies);
  if (inspection.type === 'failure') throw new DomainError('INVALID_INPUT', `policies do not parse: ${inspection.message}`);
  if (inspection.cedarPolicyHash === null) throw new DomainError('INVALID_INPUT', `the policy engine refuses the set: ${inspection.engineError ?? 'unknown error'}`);
  return { ...meta, cedar_policy_hash: inspection.cedarPolicyHash, policies, controls: controlMapOf(inspection.policies) };
}
