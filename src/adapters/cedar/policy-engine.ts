import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { AuthorizationRequest } from '../../kernel/types.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { ActivePolicySet, PolicyEngine, PolicyEvaluation, PolicyText } from '../../ports/policy.ts';
import type { CedarApi, CedarSchema } from './cedar-api.ts';
import { checkWarmUpAnswer, WARM_UP_POLICIES, WARM_UP_PROBE, WARM_UP_REQUEST, WARM_UP_REQUEST_UNTYPED, WARM_UP_ROUNDS, WARM_UP_SCHEMA } from './warm-up-profile.ts';

/** The last text each cedar-wasm instance hashed for `rehash`, and its hash. */
const lastRehash = new WeakMap<CedarApi, { input: string; hash: string }>();

export type CapProfileSource = { capProfileId: string; policies: string };

/**
 * An optional schema, in Cedar schema syntax or (text starting with `{`) Cedar's JSON schema
 * form, as `kee-policy` takes it; template links need `kee-policy`.
 */
export type CedarPolicySource = CapProfileSource & { links?: readonly unknown[]; schema?: string };

/**
 * PolicyEngine over `@cedar-policy/cedar-wasm`: the policy set is parsed once (keyed by each
 * policy's `@id`) and pre-parsed into the engine, and so is its schema; then every request is
 * evaluated with `statefulIsAuthorized`, without re-sending either.
 *
 * With a schema, every request is decided with it, as `kee-policy` decides: entity attributes
 * and context are parsed with their declared types (an entity-typed attribute written
 * `{"type": "User", "id": "alice"}` is an entity, not a record; an `ipaddr` written
 * `"10.0.0.1"` is an ip), values of the wrong type and requests the schema does not allow
 * (a principal or resource type outside the action's `appliesTo`, a context of the wrong
 * shape) are refused (DENY with the reason), and the schema's action hierarchy applies.
 */
export class CedarPolicyEngine implements PolicyEngine {
  private readonly cedar: CedarApi;
  private readonly setId: string;
  private readonly schemaName: string | undefined;
  private readonly info: ActivePolicySet;
  private readonly text: PolicyText;

  private readonly merkle: Merkle;

  private constructor(cedar: CedarApi, setId: string, schemaName: string | undefined, info: ActivePolicySet, text: PolicyText, merkle: Merkle) {
    this.merkle = merkle;
    this.cedar = cedar;
    this.setId = setId;
    this.schemaName = schemaName;
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
    const hem: Record<string, string> = {};
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
      const hemClass = json.json.annotations?.hem;
      if (hemClass !== undefined) hem[id] = hemClass;
    }
    const schema = profile.schema === undefined ? undefined : schemaForm(profile.schema);
    if (schema !== undefined) {
      const checked = cedar.validate({ schema, policies: { staticPolicies: byId } });
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
    let schemaName: string | undefined;
    if (schema !== undefined && profile.schema !== undefined) {
      // Named by its text's hash: a set activated again, or another set with the same schema, reuses it.
      schemaName = `schema@${toHex(merkle.sha256(new TextEncoder().encode(profile.schema)))}`;
      const parsed = cedar.preparseSchema(schemaName, schema);
      if (parsed.type === 'failure') throw invalid('schema was refused by the engine', parsed.errors);
    }
    return new CedarPolicyEngine(cedar, setId, schemaName, {
      capProfileId: profile.capProfileId,
      cedarPolicyHash,
      policyIds: Object.keys(byId).sort(),
      tiers,
      hem,
    }, { policies: profile.policies, ...(profile.schema === undefined ? {} : { schema: profile.schema }) }, merkle);
  }

  /**
   * `cedar_policy_hash` of the held text, parsed and canonicalized again now (ACD Check 2);
   * `sameText` (the kernel's start): when this cedar-wasm instance last hashed exactly the same
   * text (compared character for character), that hash is given again instead of parsing it once
   * more (the kee-policy engine's `rehash` says why).
   */
  rehash(sameText = false): string {
    const input = this.text.policies;
    const last = lastRehash.get(this.cedar);
    if (sameText && last !== undefined && last.input === input) return last.hash;
    const hash = this.hashText(input);
    lastRehash.set(this.cedar, { input, hash });
    return hash;
  }

  private hashText(policies: string): string {
    const parts = this.cedar.policySetTextToParts(policies);
    if (parts.type === 'failure') throw invalid('policy set does not parse', parts.errors);
    const est: Record<string, unknown> = {};
    for (const text of parts.policies) {
      const json = this.cedar.policyToJson(text);
      if (json.type === 'failure') throw invalid('policy does not parse', json.errors);
      const id = json.json.annotations?.id;
      if (!id || id in est) throw new DomainError('INVALID_INPUT', 'every policy needs a unique `@id` annotation');
      est[id] = json.json;
    }
    return toHex(this.merkle.sha256(new TextEncoder().encode(this.merkle.canonicalize({ policies: est, templates: {} }))));
  }

  active(): ActivePolicySet {
    return this.info;
  }

  source(): PolicyText {
    return this.text;
  }

  evaluate(request: AuthorizationRequest): PolicyEvaluation {
    const answer = this.decide(request);
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

  /**
   * Decides the warm-up set's known request (`warm-up-profile.ts`) and checks the answer, then
   * one throw-away request against this set: the first real decision then pays no first-use
   * compilation. A set with a schema is warmed with the warm-up schema and typed entities, one
   * without with the escaped JSON form (the form its own requests take). The warm-up set (and
   * the schema, when first needed) are pre-parsed by the first warm-up on this cedar-wasm module. Throws DomainError UNAVAILABLE when cedar-wasm traps or answers wrongly.
   */
  warm(): void {
    try {
      const ids = { set: 'kee-warm-up', schema: 'kee-warm-up-schema' };
      // a set with a schema decides typed requests; one without reads Cedar's escaped JSON form
      const typed = this.schemaName !== undefined;
      const ready = warmUpReady.get(this.cedar) ?? { set: false, schema: false };
      warmUpReady.set(this.cedar, ready);
      if (!ready.set) {
        const pre = this.cedar.preparsePolicySet(ids.set, { staticPolicies: { ...WARM_UP_POLICIES } });
        if (pre.type === 'failure') throw new Error(`the warm-up set was refused: ${pre.errors.map((e) => e.message).join(': ')}`);
        ready.set = true;
      }
      if (typed && !ready.schema) {
        const schema = this.cedar.preparseSchema(ids.schema, WARM_UP_SCHEMA);
        if (schema.type === 'failure') throw new Error(`the warm-up schema was refused: ${schema.errors.map((e) => e.message).join(': ')}`);
        ready.schema = true;
      }
      try {
        for (let i = 0; i < WARM_UP_ROUNDS; i++) {
          const answer = this.cedar.statefulIsAuthorized(
            typed
              ? { ...WARM_UP_REQUEST, preparsedPolicySetId: ids.set, preparsedSchemaName: ids.schema, validateRequest: true }
              : { ...WARM_UP_REQUEST_UNTYPED, preparsedPolicySetId: ids.set },
          );
          if (answer.type === 'failure') throw new Error(`the warm-up request failed: ${answer.errors.map((e) => e.message).join(': ')}`);
          const { decision, diagnostics } = answer.response;
          checkWarmUpAnswer('cedar-wasm', { allow: decision === 'allow', reasons: diagnostics.reason, errorIds: diagnostics.errors.map((e) => e.policyId) });
        }
      } catch (e) {
        warmUpReady.delete(this.cedar);
        throw e;
      }
      // This set's own path; the answer (most often a refusal of the unknown types) is discarded.
      this.decide(WARM_UP_PROBE);
    } catch (cause) {
      throw new DomainError('UNAVAILABLE', `policy engine failed its warm-up: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  private decide(request: AuthorizationRequest): ReturnType<CedarApi['statefulIsAuthorized']> {
    return this.cedar.statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
      preparsedPolicySetId: this.setId,
      ...(this.schemaName === undefined ? {} : { preparsedSchemaName: this.schemaName, validateRequest: true }),
      entities: request.entities ?? [],
    });
  }
}

/** The cedar-wasm modules holding the pre-parsed warm-up set and schema. */
const warmUpReady = new WeakMap<CedarApi, { set: boolean; schema: boolean }>();

/** Schema text as cedar-wasm takes it: Cedar schema syntax as is, JSON schema text (starting with `{`) parsed. */
function schemaForm(text: string): CedarSchema {
  if (!text.trimStart().startsWith('{')) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DomainError('INVALID_INPUT', `schema is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DomainError('INVALID_INPUT', 'a JSON schema must be an object');
  return json as Record<string, unknown>;
}

function invalid(what: string, errors: { message: string }[]): DomainError {
  return new DomainError('INVALID_INPUT', `${what}: ${errors.map((e) => e.message).join(': ')}`);
}
