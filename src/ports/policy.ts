import type { AuthorizationRequest, EntityRef } from '../kernel/types.ts';

/** What the engine decided for one request. `errors` non-empty means the kernel must DENY. */
export type PolicyEvaluation = {
  decision: 'PERMIT' | 'DENY';
  /** Determining policy ids (the policies that caused the decision). */
  policyIds: string[];
  errors: string[];
};

/** Description of the active policy set (CAP Profile). */
export type ActivePolicySet = {
  capProfileId: string;
  cedarPolicyHash: string;
  policyIds: string[];
  /** `@tier` annotation per policy id, where present. */
  tiers: Record<string, string>;
  /**
   * `@hem` annotation (the HEM class, e.g. `HEM-HIGH-1`) per policy id, where present: a forbid
   * policy carrying one that determines a DENY opens a human escalation (docs/hem.md).
   */
  hem?: Record<string, string>;
};

/** Synchronous Cedar evaluation over a pre-parsed, active policy set. */
export interface PolicyEngine {
  /**
   * Evaluates one request (with its `entities`, if any); may throw, in which case the kernel
   * DENYs. Synchronous: the kernel reads the active engine and evaluates in one turn.
   */
  evaluate(request: AuthorizationRequest): PolicyEvaluation;
  active(): ActivePolicySet;
  /** The Cedar text (and schema, if any) the set was loaded from: `GET /v1/cap-profile/policies`. */
  source?(): PolicyText;
  /**
   * `cedar_policy_hash` computed again, now, from the set the engine holds (its text parsed
   * again and canonicalized, digest 4.1): never a value kept from load. ACD Check 2 compares it
   * with the hash the set was activated under; an engine without it cannot pass Check 2.
   * `sameText` (the kernel's start only): when this engine's WASM instance last hashed exactly
   * the same text (the whole input compared, character for character), that hash is given again
   * instead of parsing the text once more; a changed text is always parsed and hashed again.
   */
  rehash?(sameText?: boolean): string;
  /**
   * Prepares the set to serve: throw-away decisions, so that the first real one pays no
   * first-use costs (a WASM engine compiles its code lazily, which can take longer than the
   * evaluation budget). The kernel calls it on every candidate set before the swap and on the
   * initial set at start; it throws when the engine fails on them, and the set never serves.
   */
  warm?(): void;
  /** Releases the set (e.g. its WASM memory); called once no evaluation can use it any more. */
  dispose?(): void;
}

/** The text a set was loaded from (what its `cedar_policy_hash` is computed over, once parsed). */
export type PolicyText = { policies: string; schema?: string; links?: PolicyLink[] };

/** A template link: `values` fills `?principal` and/or `?resource`. */
export type PolicyLink = { templateId: string; newId: string; values: Partial<Record<'?principal' | '?resource', EntityRef>> };

/** A policy set to load: a CAP Profile's Cedar text, its template links and an optional Cedar schema. */
export type PolicySource = { capProfileId: string; policies: string; links?: PolicyLink[]; schema?: string };

/**
 * Builds engines for candidate policy sets (P1 hot swap): parse, validate against the schema
 * when one is given, index. Throws DomainError `INVALID_INPUT` when the set does not parse or
 * validate; the kernel keeps serving the old set meanwhile.
 */
export interface PolicyEngineFactory {
  load(source: PolicySource): PolicyEngine;
}
