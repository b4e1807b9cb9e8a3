/**
 * The ACD handshake paths (P3, docs/acd.md) of the OpenAPI document, spread into `paths` by
 * openapi.ts. The 403 of the handshake carries two bodies: the four-check refusal of KEE-1
 * (`application/json`, not a problem) and a provider refused by authentication (problem+json).
 */
import { JSON_BODY, problems, QUERY, STARTED, STORE } from './openapi-problems.ts';

const uuid = { type: 'string', format: 'uuid' };
const nullableString = { type: ['string', 'null'] };
const PROVIDER = [{ providerAssertion: [] }, {}];
const PROVIDER_NOTES = {
  UNAUTHENTICATED: 'KEE_AUTH=agents: no `Authorization: Bearer <client assertion>`, or one that does not verify (a registered key of the provider named in `iss`, `aud` = the kernel origin, at most 60 s, a fresh `jti`)',
  FORBIDDEN: 'KEE_AUTH=agents: the provider is suspended or revoked, or the agent is not a resource provider (role `resource_provider`); on the grant route also a record issued to another provider',
} as const;

const ACD_RECORD = {
  type: 'object',
  description: 'The ACD Record (digest 3.2), served in RFC 8785 JCS form: Layer 1 legal identity, Layer 2 constitutional compliance, Layer 3 principal and redress. `gec_signature` is a detached JWS (`<header>..<signature>`, EdDSA, `kid` = the kernel key id, `typ` `soos-acd+jws`) over the JCS of every other member, by the KIA key (`GET /v1/kernel/public-key`; the FROST group key when FROST signs).',
  required: ['acd_session_id', 'agent_xpid', 'acd_validity_not_before', 'acd_validity_not_after', 'cap_profile_id', 'cedar_policy_hash', 'gec_manifest_ref', 'prohibition_tier_summary', 'operator_id', 'acd_timestamp', 'gec_signature', 'mjwt_jti', 'aep_session_id'],
  properties: {
    acd_session_id: uuid,
    agent_xpid: { type: 'string', pattern: '^urn:soos:xpid:uuid:[0-9a-f-]{36}$' },
    governing_law: nullableString,
    primary_jurisdiction: nullableString,
    jurisdictions: { type: 'array', items: { type: 'object', properties: { jurisdiction_code: { type: 'string' }, regulatory_regime: { type: 'array', items: { type: 'string' } }, ptd_endpoint: nullableString } } },
    terms_of_use_uri: nullableString,
    liability_scope: { enum: ['OPERATOR', 'DEPLOYER', 'PRINCIPAL_HIERARCHY'] },
    acd_validity_not_before: { type: 'string', format: 'date-time' },
    acd_validity_not_after: { type: 'string', format: 'date-time' },
    cap_profile_id: { type: 'string' },
    cap_profile_hash: { type: ['string', 'null'] },
    prohibition_tier_summary: { type: 'object', properties: { tier_0a: { type: 'integer' }, tier_0b: { type: 'integer' }, tier_1: { type: 'integer' }, tier_2: { type: 'integer' } } },
    cap_rrs_controls: {
      type: 'array',
      description: "Layer 2: the CAP-RRS controls the serving policy set enforces (one per policy with `@cap_rrs_control_id`), sorted by control id then policy id",
      items: {
        type: 'object',
        required: ['cap_rrs_control_id', 'cedar_policy_id', 'tier', 'authority_source_uri'],
        properties: { cap_rrs_control_id: { type: 'string' }, cedar_policy_id: { type: 'string' }, tier: { type: ['string', 'null'] }, authority_source_uri: { type: ['string', 'null'] } },
      },
    },
    gec_manifest_ref: { type: 'string' },
    cedar_policy_hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    cap_enforcement_attestation: nullableString,
    hem_status: { enum: ['ACTIVE', 'SUSPENDED', 'ESCALATION_IN_PROGRESS'] },
    ptd_endpoint: nullableString,
    operator_id: nullableString,
    deployer_id: nullableString,
    principal_hierarchy_summary: { type: 'object' },
    redress_uri: nullableString,
    human_escalation_path: { enum: ['AVAILABLE', 'NOT_AVAILABLE'] },
    gar_audit_endpoint: nullableString,
    gar_sar_ref: nullableString,
    acd_timestamp: { type: 'string', format: 'date-time' },
    gec_signature: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$' },
    delegation_chain_depth: { type: 'integer', minimum: 0 },
    parent_kernel_id: nullableString,
    mandate_scope_type: { enum: ['FULL', 'SLICE'] },
    mjwt_jti: nullableString,
    aep_session_id: uuid,
  },
};

const CHECK_FAILED = {
  type: 'object',
  required: ['error', 'failed_check', 'acd_session_id', 'timestamp'],
  additionalProperties: false,
  properties: { error: { const: 'ACD_CHECK_FAILED' }, failed_check: { enum: [1, 2, 3, 4] }, acd_session_id: uuid, timestamp: { type: 'string', format: 'date-time' } },
};

const handshakeProblems = problems([...QUERY, ...STARTED, ...STORE, 'UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE', 'NOT_ACCEPTABLE', 'METHOD_NOT_ALLOWED'], {
  ...PROVIDER_NOTES,
  INVALID_INPUT: '`aep_session_id` is missing, not a lowercase UUID, or given more than once',
  NOT_ACCEPTABLE: 'the `Accept` header excludes `application/soos-acd+json` (nothing is recorded)',
  METHOD_NOT_ALLOWED: '`HEAD`: a handshake is recorded and may issue a record, so it is served under `GET` only (`Allow: GET`; nothing is recorded)',
  UNAVAILABLE: 'KEE_AUTH=agents: agent authentication is not configured, or the replay cache is full',
});
const forbidden = handshakeProblems['403'];

export const ACD_SECURITY_SCHEME = {
  providerAssertion: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'KEE_AUTH=agents: a resource provider (a registered agent with role `resource_provider`) sends `Authorization: Bearer <client assertion>`: a JWT it signs (EdDSA) with a registered key, `iss` = `sub` = its agent id, `aud` = the kernel origin, `exp` at most 60 s after `iat`, a `jti` never used before (docs/acd.md)',
  },
};

export const ACD_PATHS = {
  '/.well-known/soos-acd': {
    get: {
      operationId: 'getAcdRecord',
      summary: 'P3 ACD handshake: the signed ACD Record of an AEP session after the four checks (ACD_QUERY_RECEIVED first), or the refusal naming the failed check',
      security: PROVIDER,
      parameters: [{ name: 'aep_session_id', in: 'query', required: true, schema: uuid, description: 'the open session the agent works in (`POST /v1/sessions`)' }],
      responses: {
        '200': { description: 'all four checks passed: the record (JCS); ACD_RECORD_ISSUED holds its SHA-256', headers: { 'Cache-Control': { schema: { const: 'no-store' } } }, content: { 'application/soos-acd+json': { schema: ACD_RECORD } } },
        ...handshakeProblems,
        '403': {
          description: `a check failed (\`application/json\`, KEE-1 §4.3): nothing is issued, ACD_VALIDATION_FAILED records it (check 1: the GEC Manifest does not verify, is revoked or older than the staleness window; 2: the serving policy set, hashed again now, is not the one activated and declared; 3: the KIA key is revoked or cannot sign, quorum lost, \`failed_field\` gec_signature; 4: no open session, an unregistered, suspended or revoked agent, a revoked XPID or session mandate). Or (problem+json) ${forbidden?.description ?? ''}`,
          content: { 'application/json': { schema: CHECK_FAILED }, ...forbidden?.content },
        },
      },
    },
  },
  '/v1/acd/{acd_session_id}/grant': {
    post: {
      operationId: 'reportAcdGrant',
      summary: "A resource provider's access decision on an ACD Record it got: ACD_VALIDATION_PASSED (ALE-058) for a grant, ACD_ACCESS_DENIED (ALE-062) for a denial",
      security: PROVIDER,
      parameters: [{ name: 'acd_session_id', in: 'path', required: true, schema: uuid }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              oneOf: [
                { type: 'object', required: ['decision'], additionalProperties: false, properties: { decision: { const: 'GRANTED' }, confirmation_basis: { enum: ['NOTIFIED', 'INFERRED'] } } },
                {
                  type: 'object',
                  required: ['decision', 'denial_reason'],
                  additionalProperties: false,
                  properties: { decision: { const: 'DENIED' }, denial_reason: { enum: ['FOUR_CHECK_FAILED', 'LAYER_INSPECTION_FAILED', 'EXPIRED', 'XPID_MISMATCH'] }, failed_layer: { enum: [1, 2, 3] }, failed_field: { type: 'string', minLength: 1, maxLength: 128 } },
                },
              ],
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'recorded, durably',
          content: { 'application/json': { schema: { type: 'object', required: ['acd_session_id', 'recorded', 'timestamp'], properties: { acd_session_id: uuid, recorded: { enum: ['ACD_VALIDATION_PASSED', 'ACD_ACCESS_DENIED'] }, timestamp: { type: 'string', format: 'date-time' } } } } },
        },
        ...problems([...JSON_BODY, ...STARTED, ...STORE, 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE', 'AUDIT_TAMPERED'], { ...PROVIDER_NOTES, NOT_FOUND: 'no kernel on this store issued an ACD Record with this id (or it is older than the validity window at the last start)', AUDIT_TAMPERED: 'a stored issued-record entry is malformed' }),
      },
    },
  },
};
