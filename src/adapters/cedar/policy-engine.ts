import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { AuthorizationRequest } from '../../kernel/types.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { ActivePolicySet, PolicyEngine, PolicyEvaluation, PolicyText } from '../../ports/policy.ts';
import type { CedarApi } from './cedar-api.ts';

export type CapProfileSource = { capProfileId: string; policies: string };

/** cedar-wasm takes a Cedar schema (text) to validate the set against; template links need `kee-policy`. */
export type CedarPolicySource = CapProfileSource & { links?: readonly unknown[]; schema?: string };

/**
 * PolicyEngine over `@cedar-policy/cedar-wasm`: the policy set is parsed once (keyed by each
 * policy's `@id`) and pre-parsed into the engine, then every request is evaluated with
 * `statefulIsAuthorized`, without re-sending the policies.
 */
export class CedarPolicyEngine implements PolicyEngine {
  private readonly cedar: CedarApi;
  private readonly setId: string;
  private readonly info: ActivePolicySet;
  private readonly text: PolicyText;

  private constructor(cedar: CedarApi, setId: string, info: ActivePolicySet, text: PolicyText) {
    this.cedar = cedar;
    this.setId = setId;
    this.info = info;
    this.text = text;
  }

  /**
   * Parses, validates (against `schema` when given), indexes and pre-parses a profile; throws
   * DomainError INVALID_INPUT on any error.
   */
  static load(cedar: CedarApi, profile: CedarPolicySource, merkle: Merkle): CedarPolicyEngine {
    if (profile.links && profile.links.length > 0) throw new DomainError('INVALID_INPUT', 'template links need the `kee-policy` engine');
    const parts = cedar.policySetTextToParts(profile.policies);
    if (parts.type === 'failure') throw invalid('policy set does not parse', parts.errors);
    if (parts.policy_templates.length > 0) throw new DomainError('INVALID_INPUT', 'templates are not supported in a cap profile yet');
    const byId: Record<string, string> = {};
    const est: Record<string, unknown> = {};
    const tiers: Record<string, string> = {};
    for (const text of parts.policies) {
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') throw invalid('policy does not parse', json.errors);
      const id = json.json.annotations?.id;
      if (!id) throw new DomainError('INVALID_INPUT', 'every policy needs an `@id` annotation');
      if (id in byId) throw new DomainError('INVALID_INPUT', `policy id \`${id}\` appears twice`);
      byId[id] = text;
      est[id] = json.json;
      const tier = json.json.annotations?.tier;
      if (tier !== undefined) tiers[id] = tier;
    }
    if (profile.schema !== undefined) {
      const checked = cedar.validate({ schema: profile.schema, policies: { staticPolicies: byId } });
      if (checked.type === 'failure') throw invalid('schema or policy set does not parse', checked.errors);
      if (checked.validationErrors.length > 0) {
        throw invalid('policy set does not validate against the schema', checked.validationErrors.map((e) => ({ message: `policy \`${e.policyId}\`: ${e.error.message}` })));
      }
    }
    // cedar_policy_hash (digest 4.1): SHA-256 over JCS({"policies": {id: EST}, "templates": {}}).
    const canonical = merkle.canonicalize({ policies: est, templates: {} });
    const cedarPolicyHash = toHex(merkle.sha256(new TextEncoder().encode(canonical)));
    const setId = `${profile.capProfileId}@${cedarPolicyHash}`;
    const pre = cedar.preparsePolicySet(setId, { staticPolicies: byId });
    if (pre.type === 'failure') throw invalid('policy set was refused by the engine', pre.errors);
    return new CedarPolicyEngine(cedar, setId, {
      capProfileId: profile.capProfileId,
      cedarPolicyHash,
      policyIds: Object.keys(byId).sort(),
      tiers,
    }, { policies: profile.policies, ...(profile.schema === undefined ? {} : { schema: profile.schema }) });
  }

  active(): ActivePolicySet {
    return this.info;
  }

  source(): PolicyText {
    return this.text;
  }

  evaluate(request: AuthorizationRequest): PolicyEvaluation {
    const answer = this.cedar.statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
      preparsedPolicySetId: this.setId,
      entities: request.entities ?? [],
    });
    if (answer.type === 'failure') {
      return { decision: 'DENY', policyIds: [], errors: answer.errors.map((e) => `cedar: ${e.message}`) };
    }
    const { decision, diagnostics } = answer.response;
    return {
      decision: decision === 'allow' ? 'PERMIT' : 'DENY',
      policyIds: [...diagnostics.reason].sort(),
      errors: diagnostics.errors.map((e) => `policy \`${e.policyId}\`: ${e.error.message}`),
    };
  }
}

function invalid(what: string, errors: { message: string }[]): DomainError {
  return new DomainError('INVALID_INPUT', `${what}: ${errors.map((e) => e.message).join(': ')}`);
}
