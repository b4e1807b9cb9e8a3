/**
 * The narrow slice of `@cedar-policy/cedar-wasm` this adapter uses (Hono's deno.d.ts idea):
 * the entry file passes the initialized module in; no other file imports the package.
 */
export type CedarDetailedError = { message: string };
export type CedarEntityUid = { type: string; id: string };
/** A schema in Cedar schema syntax (text) or Cedar's JSON schema form (an object). */
export type CedarSchema = string | Record<string, unknown>;

export type CedarApi = {
  policySetTextToParts(text: string):
    | { type: 'success'; policies: string[]; policy_templates: string[] }
    | { type: 'failure'; errors: CedarDetailedError[] };
  policyToJson(policy: string):
    | { type: 'success'; json: { annotations?: Record<string, string> } & Record<string, unknown> }
    | { type: 'failure'; errors: CedarDetailedError[] };
  preparsePolicySet(id: string, policies: { staticPolicies: Record<string, string> }): { type: 'success' } | { type: 'failure'; errors: CedarDetailedError[] };
  preparseSchema(name: string, schema: CedarSchema): { type: 'success' } | { type: 'failure'; errors: CedarDetailedError[] };
  statefulIsAuthorized(call: {
    principal: CedarEntityUid;
    action: CedarEntityUid;
    resource: CedarEntityUid;
    context: Record<string, unknown>;
    preparsedPolicySetId: string;
    /** With a schema, entities and context are parsed with their declared types and the request is checked against it. */
    preparsedSchemaName?: string;
    validateRequest?: boolean;
    entities: unknown[];
  }):
    | { type: 'success'; response: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: { policyId: string; error: CedarDetailedError }[] } } }
    | { type: 'failure'; errors: CedarDetailedError[] };
  /** Cedar partial evaluation (experimental in Cedar): `null` principal, and `{"__extn":{"fn":"unknown","arg":…}}` values, are unknowns. */
  isAuthorizedPartial(call: {
    principal: CedarEntityUid | null;
    action: CedarEntityUid | null;
    resource: CedarEntityUid | null;
    context: Record<string, unknown>;
    policies: { staticPolicies: string };
    entities: unknown[];
  }):
    | { type: 'residuals'; response: { decision: 'allow' | 'deny' | null; errored: string[]; residuals: Record<string, { effect: 'permit' | 'forbid'; conditions: { kind: 'when' | 'unless'; body: unknown }[] }> } }
    | { type: 'failure'; errors: CedarDetailedError[] };
  validate(call: { schema: CedarSchema; policies: { staticPolicies: Record<string, string> } }):
    | { type: 'success'; validationErrors: { policyId: string; error: CedarDetailedError }[] }
    | { type: 'failure'; errors: CedarDetailedError[] };
};
