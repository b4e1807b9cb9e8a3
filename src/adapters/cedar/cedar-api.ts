/**
 * The narrow slice of `@cedar-policy/cedar-wasm` this adapter uses (Hono's deno.d.ts idea):
 * the entry file passes the initialized module in; no other file imports the package.
 */
export type CedarDetailedError = { message: string };
export type CedarEntityUid = { type: string; id: string };

export type CedarApi = {
  policySetTextToParts(text: string):
    | { type: 'success'; policies: string[]; policy_templates: string[] }
    | { type: 'failure'; errors: CedarDetailedError[] };
  policyToJson(policy: string):
    | { type: 'success'; json: { annotations?: Record<string, string> } & Record<string, unknown> }
    | { type: 'failure'; errors: CedarDetailedError[] };
  preparsePolicySet(id: string, policies: { staticPolicies: Record<string, string> }): { type: 'success' } | { type: 'failure'; errors: CedarDetailedError[] };
  statefulIsAuthorized(call: {
    principal: CedarEntityUid;
    action: CedarEntityUid;
    resource: CedarEntityUid;
    context: Record<string, unknown>;
    preparsedPolicySetId: string;
    entities: unknown[];
  }):
    | { type: 'success'; response: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: { policyId: string; error: CedarDetailedError }[] } } }
    | { type: 'failure'; errors: CedarDetailedError[] };
  validate(call: { schema: string; policies: { staticPolicies: Record<string, string> } }):
    | { type: 'success'; validationErrors: { policyId: string; error: CedarDetailedError }[] }
    | { type: 'failure'; errors: CedarDetailedError[] };
};
