import { DomainError } from '../../kernel/errors.ts';
import type { AuthorizationRequest } from '../../kernel/types.ts';
import type { ActivePolicySet, PolicyEngine, PolicyEvaluation, PolicyText } from '../../ports/policy.ts';
import type { CapProfileSource } from '../cedar/policy-engine.ts';
import { checkWarmUpAnswer, WARM_UP_POLICY_TEXT, WARM_UP_PROBE, WARM_UP_REQUEST, WARM_UP_REQUEST_UNTYPED, WARM_UP_ROUNDS, WARM_UP_SCHEMA } from '../cedar/warm-up-profile.ts';
import type { KeeWasmCore, WasmDecision, WasmPolicySet, WasmResult } from '../wasm/load.ts';

/** A template link: `values` fills `?principal` and/or `?resource`. */
export type PolicyLink = { templateId: string; newId: string; values: Partial<Record<'?principal' | '?resource', { type: string; id: string }>> };

/** A CAP Profile's policies, plus the template links and the optional Cedar schema. */
export type KeePolicySource = CapProfileSource & { links?: PolicyLink[]; schema?: string };

/** A request with the entities (Cedar's entity JSON array) that `in` and attributes read. */
export type EntityRequest = AuthorizationRequest & { entities?: unknown[] };

export type KeePolicyEngineOptions = {
  /**
   * A decision that took longer than this is DENY (fail-closed). The call is synchronous, so
   * the check runs after it returns; on Workers the clock does not move during a call.
   */
  budgetMs?: number;
  /** The clock for the budget, in milliseconds; defaults to `performance.now`. */
  now?: () => number;
};

/**
 * PolicyEngine over the Rust `kee-policy` crate in WASM: the set is parsed, indexed by scope
 * and hashed once in WASM memory; each decision is one call that evaluates only the policies
 * whose scope can match. Fail-closed: a failure, trap, exception or overrun is a DENY with a
 * reason, never a throw; after a trap the engine DENYs everything until it is reloaded.
 *
 * ```ts
 * const engine = KeePolicyEngine.load(initKeeWasm(bytes), DEFAULT_CAP_PROFILE);
 * engine.evaluate({ principal, action, resource, context: {} }).decision; // 'PERMIT' | 'DENY'
 * ```
 */
export class KeePolicyEngine implements PolicyEngine {
  private readonly wasm: KeeWasmCore;
  private readonly set: WasmPolicySet;
  private readonly info: ActivePolicySet;
  private readonly budgetMs: number;
  private readonly now: () => number;
  private fault: string | null = null;
  private readonly text: PolicyText;

  private constructor(wasm: KeeWasmCore, set: WasmPolicySet, info: ActivePolicySet, options: KeePolicyEngineOptions, text: PolicyText) {
    this.wasm = wasm;
    this.set = set;
    this.info = info;
    this.text = text;
    this.budgetMs = options.budgetMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** Parses, indexes and hashes a profile; throws DomainError INVALID_INPUT if it does not load. */
  static load(wasm: KeeWasmCore, profile: KeePolicySource, options: KeePolicyEngineOptions = {}): KeePolicyEngine {
    const source = JSON.stringify({ policies: profile.policies, links: profile.links ?? [], ...(profile.schema === undefined ? {} : { schema: profile.schema }) });
    let loaded;
    try {
      loaded = wasm.loadPolicySet(source);
    } catch (cause) {
      throw new DomainError('UNAVAILABLE', 'policy engine trapped while loading the policy set', { cause });
    }
    if (loaded.type === 'failure') throw new DomainError('INVALID_INPUT', loaded.error.message, { cause: loaded.error });
    const set = loaded.value;
    const { cedarPolicyHash, policyIds, tiers } = set.info();
    const text = { policies: profile.policies, ...(profile.links && profile.links.length > 0 ? { links: profile.links } : {}), ...(profile.schema === undefined ? {} : { schema: profile.schema }) };
    return new KeePolicyEngine(wasm, set, { capProfileId: profile.capProfileId, cedarPolicyHash, policyIds, tiers, hem: hemAnnotations(wasm, profile.policies) }, options, text);
  }

  active(): ActivePolicySet {
    return this.info;
  }

  source(): PolicyText {
    return this.text;
  }

  /** Evaluates one request; `entities` is optional (none means no hierarchy and no attributes). */
  evaluate(request: EntityRequest): PolicyEvaluation {
    return this.decide(request, request.entities ?? [], (json) => this.set.evaluate(json));
  }

  /**
   * Replaces the entity store held in WASM next to the policy set (Cedar's entity JSON array,
   * parsed and checked once); returns how many entities it holds. Throws DomainError
   * INVALID_INPUT when Cedar refuses them (the previous store stays), UNAVAILABLE when the
   * engine is unavailable or traps (and then DENYs everything until reloaded).
   */
  setEntities(entities: readonly unknown[]): number {
    if (this.fault !== null) throw new DomainError('UNAVAILABLE', `policy engine is unavailable after a fault: ${this.fault}`);
    let json: string;
    try {
      json = JSON.stringify(entities);
    } catch (cause) {
      throw new DomainError('INVALID_INPUT', `entities cannot be serialized: ${message(cause)}`, { cause });
    }
    let answer;
    try {
      answer = this.set.setEntities(json);
    } catch (cause) {
      this.fault = message(cause);
      throw new DomainError('UNAVAILABLE', `policy engine trapped while loading entities: ${this.fault}`, { cause });
    }
    if (answer.type === 'failure') throw new DomainError('INVALID_INPUT', `kee-policy: ${answer.error.message}`, { cause: answer.error });
    return answer.value;
  }

  /**
   * Evaluates one request against the entity store (`setEntities`): the request needs only its
   * principal, action, resource and context. Its own `entities`, if any, replace the stored
   * entities with the same uid and extend the others, for this request only (that copies the
   * store in WASM, so it costs time in proportion to the store). Same fail-closed answers as
   * `evaluate`.
   */
  evaluateStored(request: EntityRequest): PolicyEvaluation {
    return this.decide(request, request.entities, (json) => this.set.evaluateStored(json));
  }

  private decide(request: EntityRequest, entities: unknown[] | undefined, call: (json: string) => WasmResult<WasmDecision>): PolicyEvaluation {
    if (this.fault !== null) return deny(`policy engine is unavailable after a fault: ${this.fault}`);
    let json: string;
    try {
      json = JSON.stringify({
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        context: request.context,
        ...(entities === undefined ? {} : { entities }),
      });
    } catch (e) {
      return deny(`request cannot be serialized: ${message(e)}`);
    }
    const start = this.now();
    let answer;
    try {
      answer = call(json);
    } catch (e) {
      // A trap may leave the instance's memory inconsistent: refuse everything from now on.
      this.fault = message(e);
      return deny(`policy engine trapped: ${this.fault}`);
    }
    const elapsed = this.now() - start;
    if (elapsed > this.budgetMs) return deny(`policy evaluation took ${elapsed.toFixed(1)} ms, over the ${this.budgetMs} ms budget`);
    if (answer.type === 'failure') return deny(`kee-policy: ${answer.error.message}`);
    const { allow, reasons, errors } = answer.value;
    return {
      decision: allow ? 'PERMIT' : 'DENY',
      policyIds: reasons,
      errors: errors.map((e) => `policy \`${e.policyId}\`: ${e.message}`),
    };
  }

  /**
   * Decides the warm-up set's known request (`warm-up-profile.ts`: records, sets, entity
   * references, extension values) and checks the answer, then one throw-away request against
   * this set. A set with a schema is warmed with the warm-up schema and typed entities
   * (`WARM_UP_REQUEST`), one without with the escaped JSON form (`WARM_UP_REQUEST_UNTYPED`): the
   * form its own requests take. Each warm-up set is loaded beside this one by the first warm-up
   * of its kind on this WASM instance and kept for the next ones. Outside the time budget: this is where the first-use compilation is
   * paid. Throws DomainError UNAVAILABLE when the engine traps or answers wrongly; the engine
   * then DENYs everything, like after a trap.
   */
  warm(): void {
    if (this.fault !== null) throw new DomainError('UNAVAILABLE', `policy engine is unavailable after a fault: ${this.fault}`);
    try {
      // a set with a schema reads typed requests; one without reads Cedar's escaped JSON form
      const typed = this.text.schema !== undefined;
      const sets = warmUpSets.get(this.wasm) ?? {};
      warmUpSets.set(this.wasm, sets);
      let known = typed ? sets.typed : sets.untyped;
      if (known === undefined) {
        const loaded = this.wasm.loadPolicySet(JSON.stringify({ policies: WARM_UP_POLICY_TEXT, links: [], ...(typed ? { schema: WARM_UP_SCHEMA } : {}) }));
        if (loaded.type === 'failure') throw new Error(`the warm-up set was refused: ${loaded.error.message}`);
        known = loaded.value;
        if (typed) sets.typed = known;
        else sets.untyped = known;
      }
      try {
        const json = JSON.stringify(typed ? WARM_UP_REQUEST : WARM_UP_REQUEST_UNTYPED);
        for (let i = 0; i < WARM_UP_ROUNDS; i++) {
          const answer = known.evaluate(json);
          if (answer.type === 'failure') throw new Error(`the warm-up request failed: ${answer.error.message}`);
          const { allow, reasons, errors } = answer.value;
          checkWarmUpAnswer('kee-policy', { allow, reasons, errorIds: errors.map((e) => e.policyId) });
        }
      } catch (e) {
        // not freed: after a trap its memory may be inconsistent; the next warm-up loads it again
        if (typed) delete sets.typed;
        else delete sets.untyped;
        throw e;
      }
      // This set's own path; the answer (most often no policy applies) is discarded.
      this.set.evaluate(JSON.stringify(WARM_UP_PROBE));
    } catch (cause) {
      this.fault = `failed its warm-up: ${message(cause)}`;
      throw new DomainError('UNAVAILABLE', `policy engine failed its warm-up: ${message(cause)}`, { cause });
    }
  }

  /**
   * `cedar_policy_hash` of the held text, loaded into a fresh WASM set and hashed again now (the
   * serving set's own hash is computed once, at load), then released (ACD Check 2). `sameText`
   * (the kernel's start): when this WASM instance last hashed exactly the same text (the whole
   * input compared, character for character), that hash is given again instead of parsing the
   * text once more; the hash is a function of the text alone. A Worker hashes its built-in set at
   * global scope, so its start's Check 2 over that set costs a string comparison, not a parse in
   * the first request; a changed text (test/acd.test.ts) is parsed and hashed.
   */
  rehash(sameText = false): string {
    const t = this.text;
    const input = JSON.stringify({ policies: t.policies, links: t.links ?? [], ...(t.schema === undefined ? {} : { schema: t.schema }) });
    const last = lastRehash.get(this.wasm);
    if (sameText && last !== undefined && last.input === input) return last.hash;
    const loaded = this.wasm.loadPolicySet(input);
    if (loaded.type === 'failure') throw new DomainError('INVALID_INPUT', loaded.error.message, { cause: loaded.error });
    try {
      const hash = loaded.value.info().cedarPolicyHash;
      lastRehash.set(this.wasm, { input, hash });
      return hash;
    } finally {
      loaded.value.free();
    }
  }

  /** Releases the WASM memory of the set; the engine DENYs afterwards. */
  dispose(): void {
    if (this.fault === null) {
      this.fault = 'the policy set was released';
      this.set.free();
    }
  }
}

/** The last text each WASM instance hashed for `rehash`, and its hash. */
const lastRehash = new WeakMap<KeeWasmCore, { input: string; hash: string }>();

/** The warm-up set of each WASM instance, kept once loaded: later warm-ups only decide its known request. */
const warmUpSets = new WeakMap<KeeWasmCore, { typed?: WasmPolicySet; untyped?: WasmPolicySet }>();

/**
 * The `@hem` annotation of each static policy (by `@id`), read from the ESTs `kee-policy` gives
 * (the same `cedar-policy` crate as cedar-wasm, so both engines see the same annotations). The
 * set itself has loaded already: a failure here is a fault, never an empty answer.
 */
function hemAnnotations(wasm: KeeWasmCore, policies: string): Record<string, string> {
  let parts;
  try {
    parts = wasm.policySetParts(policies);
  } catch (cause) {
    throw new DomainError('UNAVAILABLE', 'policy engine trapped while reading the policy annotations', { cause });
  }
  if (parts.type === 'failure') throw new DomainError('INVALID_INPUT', parts.error.message, { cause: parts.error });
  const hem: Record<string, string> = {};
  for (const est of (JSON.parse(parts.value) as { policies: { annotations?: Record<string, string> }[] }).policies) {
    const id = est.annotations?.id;
    const hemClass = est.annotations?.hem;
    if (id !== undefined && hemClass !== undefined) hem[id] = hemClass;
  }
  return hem;
}

function deny(reason: string): PolicyEvaluation {
  return { decision: 'DENY', policyIds: [], errors: [reason] };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
