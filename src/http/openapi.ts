/**
 * The HTTP contract, served at `GET /openapi.json`. Paths and fields here are called by tools
 * outside the repository: change them only with good reason, and keep this document in step
 * (test/openapi.test.ts checks every route of the app is described).
 */
const problem = {
  description: 'RFC 9457 problem',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const entity = {
  type: 'object',
  required: ['type', 'id'],
  additionalProperties: false,
  properties: { type: { type: 'string', minLength: 1, maxLength: 256 }, id: { type: 'string', minLength: 1, maxLength: 1024 } },
};
const cedarEntity = {
  type: 'object',
  required: ['uid'],
  additionalProperties: false,
  description: "Cedar entity JSON: attribute values may use Cedar's `__entity` / `__extn` escapes",
  properties: {
    uid: entity,
    attrs: { type: 'object', additionalProperties: true, default: {} },
    parents: { type: 'array', items: entity, maxItems: 100, default: [] },
  },
};
const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` });
const sessionId = { name: 'session_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const blockId = { name: 'block_id', in: 'path', required: true, schema: hex(16) };
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Kee — KEE-1 governance kernel',
    version: '0.1.0',
    description: 'Authorizes agent actions with Cedar (fail-closed), records every decision in a hash-chained audit log, and closes sessions into signed Merkle Session Blocks.',
  },
  paths: {
    '/healthz': {
      get: {
        summary: 'Liveness and kernel state',
        responses: { '200': { description: 'kernel state', ...json({ $ref: '#/components/schemas/Health' }) } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
    '/v1/kernel/public-key': {
      get: { summary: 'The kernel signing key (KIA)', responses: { '200': { description: 'public key', ...json({ $ref: '#/components/schemas/PublicKey' }) } } },
    },
    '/v1/manifest': {
      get: {
        summary: 'The GEC Manifest (P5): hash-locked, signed, re-verified on every read (in memory and against the stored copy)',
        responses: {
          '200': { description: 'the current manifest, in JCS form', content: { 'application/soos-gec-manifest+json': { schema: { $ref: '#/components/schemas/GecManifest' } } } },
          '503': { ...problem, description: '`MANIFEST_INTEGRITY_FAILURE` (the manifest failed re-verification: the kernel denies everything and signs nothing) or `KERNEL_NOT_STARTED`' },
        },
      },
    },
    '/v1/sessions': {
      post: {
        summary: 'Open an agent session',
        requestBody: {
          required: true,
          ...json({ type: 'object', required: ['agent_id'], additionalProperties: false, properties: { agent_id: { type: 'string', minLength: 1, maxLength: 256 } } }),
        },
        responses: {
          '201': { description: 'session opened', ...json({ type: 'object', required: ['session_id', 'block_id'], properties: { session_id: { type: 'string', format: 'uuid' }, block_id: hex(16) } }) },
          '400': problem, '413': problem, '415': problem, '503': problem,
        },
      },
    },
    '/v1/sessions/{session_id}/authorize': {
      post: {
        summary: 'Authorize one agent action (Cedar, fail-closed); the audit record is durable before the answer',
        parameters: [sessionId],
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['principal', 'action', 'resource'],
            additionalProperties: false,
            description: 'At most 64 KiB and 64 levels of nesting',
            properties: {
              principal: entity,
              action: entity,
              resource: entity,
              context: { type: 'object', additionalProperties: true },
              entities: {
                type: 'array',
                items: cedarEntity,
                maxItems: 1000,
                description: 'The entities the policies read (`in` hierarchy, attributes); each uid at most once. The audit record commits to them through `subject_digest`',
              },
            },
          }),
        },
        responses: {
          '200': { description: 'decision', ...json({ $ref: '#/components/schemas/Decision' }) },
          '400': problem, '404': problem, '409': problem, '413': problem, '415': problem, '503': problem,
        },
      },
    },
    '/v1/sessions/{session_id}/close': {
      post: {
        summary: 'Close a session into a signed Session Block (idempotent)',
        parameters: [sessionId],
        responses: { '200': { description: 'the Session Block', ...json({ $ref: '#/components/schemas/SessionBlock' }) }, '404': problem, '409': problem, '503': problem },
      },
    },
    '/v1/cap-profile': {
      get: {
        summary: 'The active CAP Profile: id, version (0 for the built-in unsigned profile), cap_profile_hash, cedar_policy_hash, policy ids and tiers, signing publishers',
        responses: { '200': { description: 'active profile', ...json({ $ref: '#/components/schemas/ActiveCapProfile' }) } },
      },
      put: {
        summary: 'Submit a signed CAP Profile update (P4): accepted only when ≥ 2 of the 3 configured publishers signed; every refusal is recorded as CAP_PROFILE_REFUSED',
        description:
          'Body: a JWS JSON general serialization (RFC 7515 §7.2.1), up to 4 MiB. `payload` is base64url(JCS(profile body)); one `signatures[]` entry per publisher with protected header `{"alg":"EdDSA","kid":<hex SHA-256 of the raw Ed25519 public key>}`. Refusal codes: 422 `CAP_SIGNATURES_INSUFFICIENT`, `CAP_PROFILE_MALFORMED`, `CAP_POLICY_INVALID`, `CAP_ANNOTATION_INVALID`, `CAP_POLICY_HASH_MISMATCH`, `CAP_AUTHORITY_SOURCE_MISSING`; 409 `CAP_ROLLBACK`, `CAP_CATALOG_VERSION_CONFLICT`, `CAP_NOT_YET_EFFECTIVE`, `CAP_CONFLICT`. 503 `UNAVAILABLE` when no publisher keys are configured.',
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['payload', 'signatures'],
            properties: {
              payload: { type: 'string', description: 'base64url of the JCS form of the CapProfileBody' },
              signatures: {
                type: 'array',
                minItems: 1,
                maxItems: 16,
                items: { type: 'object', required: ['protected', 'signature'], properties: { protected: { type: 'string' }, header: { type: 'object' }, signature: { type: 'string' } } },
              },
            },
          }),
        },
        responses: {
          '200': {
            description: 'accepted and activated',
            ...json({
              type: 'object',
              required: ['cap_profile_id', 'version', 'cap_profile_hash', 'cedar_policy_hash', 'activated_at'],
              properties: { cap_profile_id: { type: 'string' }, version: { type: 'integer', minimum: 1 }, cap_profile_hash: hex(32), cedar_policy_hash: hex(32), activated_at: { type: 'string', format: 'date-time' } },
            }),
          },
          '400': problem, '409': problem, '413': problem, '415': problem, '422': problem, '503': problem,
        },
      },
    },
    '/v1/audit/blocks/{block_id}': {
      get: { summary: 'A Session Block header', parameters: [blockId], responses: { '200': { description: 'block', ...json({ $ref: '#/components/schemas/SessionBlock' }) }, '404': problem } },
    },
    '/v1/audit/blocks/{block_id}/package': {
      get: {
        summary: 'Audit package: block, records, one inclusion proof per record, public key; check with `npx kee audit verify <file>`',
        parameters: [
          blockId,
          { name: 'format', in: 'query', required: false, schema: { enum: ['json', 'ndjson'], default: 'json' }, description: '`ndjson`: a header line then one line per record (application/x-ndjson), for streaming verification of large blocks' },
        ],
        responses: { '200': { description: 'audit package', ...json({ $ref: '#/components/schemas/AuditPackage' }) }, '404': problem, '409': problem },
      },
    },
    '/v1/audit/checkpoint': {
      get: {
        summary: 'Signed checkpoint of the block log (one RFC 9162 leaf per Session Block header), as a C2SP tlog-checkpoint signed note; JSON with `Accept: application/json`',
        description:
          'Before signing, the kernel proves the log consistent (RFC 9162) with the last checkpoint it signed, which it keeps in its store; a log that does not extend it is refused with 409 `AUDIT_TAMPERED` and a `BLOCK_LOG_INCONSISTENT` anomaly record, and nothing is signed. 503 `MANIFEST_INTEGRITY_FAILURE` while nothing may be signed.',
        responses: {
          '409': problem,
          '503': problem,
          '200': {
            description: 'checkpoint',
            content: {
              'text/plain': { schema: { type: 'string', description: 'origin\\nsize\\nbase64 root\\n\\n— <origin> base64(key id || Ed25519 signature)\\n' } },
              'application/json': { schema: { type: 'object', properties: { origin: { type: 'string' }, size: { type: 'integer' }, root: { type: 'string', description: 'base64' }, note: { type: 'string' } } } },
            },
          },
        },
      },
    },
    '/v1/audit/proofs/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof between two sizes of the block log',
        parameters: [
          { name: 'from', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'to', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          '200': {
            description: 'proof (hashes in lowercase hex)',
            ...json({ type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' }, from_root: hex(32), to_root: hex(32), proof: { type: 'array', items: hex(32) } } }),
          },
          '400': problem,
        },
      },
    },
  },
  components: {
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'code', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string' },
          detail: { type: 'string' },
          facts: { type: 'object', description: 'structured facts where the code has them, e.g. a refused CAP Profile: valid_publishers, unknown_kids, invalid_signatures, conflicts' },
        },
      },
      Health: {
        type: 'object',
        required: ['status', 'state', 'runtime'],
        properties: {
          status: { const: 'ok' },
          state: { enum: ['NORMAL', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED', 'MANIFEST_INTEGRITY_FAILURE'] },
          runtime: { enum: ['node', 'bun', 'deno', 'workerd'] },
          conditions: { type: 'array', items: { type: 'object', properties: { state: { type: 'string' }, reason: { type: 'string' } } } },
        },
      },
      PublicKey: { type: 'object', properties: { algorithm: { const: 'Ed25519' }, key_id: hex(32), public_key: hex(32) } },
      Decision: {
        type: 'object',
        required: ['decision', 'ale_seq', 'policy_ids', 'cedar_policy_hash'],
        properties: {
          decision: { enum: ['PERMIT', 'DENY'] },
          ale_seq: { type: 'integer', minimum: 1 },
          policy_ids: { type: 'array', items: { type: 'string' } },
          cedar_policy_hash: hex(32),
          reasons: { type: 'array', items: { type: 'string' }, description: 'why a DENY was forced (engine error, kernel state)' },
        },
      },
      SessionBlock: {
        type: 'object',
        description: 'GET /v1/audit/blocks/{block_id} adds `log_index`, the block\'s leaf index in the block log',
        required: ['block_id', 'session_id', 'merkle_root', 'block_close_timestamp', 'record_count', 'block_signature'],
        properties: {
          block_id: hex(16),
          session_id: { type: 'string', format: 'uuid' },
          merkle_root: hex(32),
          block_close_timestamp: { type: 'string', format: 'date-time' },
          record_count: { type: 'integer' },
          block_signature: {
            type: 'object',
            description: 'Ed25519 over JCS {"block_id","merkle_root","block_close_timestamp"}',
            properties: { algorithm: { const: 'Ed25519' }, key_id: hex(32), public_key: hex(32), signature: hex(64) },
          },
        },
      },
      CapProfileBody: {
        type: 'object',
        description: 'The signed body of a CAP Profile; cap_profile_hash = SHA-256(JCS(body))',
        required: ['cap_profile_id', 'version', 'effective_date', 'catalog_version', 'profile_kind', 'cedar_policy_hash', 'policies', 'controls'],
        additionalProperties: false,
        properties: {
          cap_profile_id: { type: 'string' },
          version: { type: 'integer', minimum: 1, description: 'monotone: must exceed the active version' },
          effective_date: { type: 'string', format: 'date-time' },
          catalog_version: {
            type: 'object',
            required: ['version_id', 'supersedes', 'published_by', 'published_at'],
            properties: { version_id: { type: 'string' }, supersedes: { type: ['string', 'null'] }, published_by: { type: 'string' }, published_at: { type: 'string', format: 'date-time' }, effective_date: { type: 'string', format: 'date-time' }, amendment_basis: { type: 'string' } },
          },
          profile_kind: { enum: ['standard', 'government'] },
          cedar_policy_hash: hex(32),
          policies: { type: 'string', description: 'Cedar policy text; every policy has @id and @tier (0-A, 0-B, 1, 2), optionally @cap_rrs_control_id and @authority_source_uri (required on every policy of a government profile)' },
          controls: {
            type: 'object',
            description: 'cedar_policy_id -> { cap_rrs_control_id, authority_source_uri }, exactly as annotated',
            additionalProperties: { type: 'object', properties: { cap_rrs_control_id: { type: ['string', 'null'] }, authority_source_uri: { type: ['string', 'null'] } } },
          },
        },
      },
      ActiveCapProfile: {
        type: 'object',
        required: ['cap_profile_id', 'version', 'cedar_policy_hash', 'policy_ids', 'signed'],
        properties: {
          cap_profile_id: { type: 'string' },
          version: { type: 'integer', minimum: 0 },
          cap_profile_hash: { oneOf: [hex(32), { type: 'null' }] },
          cedar_policy_hash: hex(32),
          effective_date: { type: ['string', 'null'] },
          profile_kind: { enum: ['standard', 'government', null] },
          catalog_version: { type: ['object', 'null'] },
          policy_ids: { type: 'array', items: { type: 'string' } },
          tiers: { type: 'object', additionalProperties: { type: 'string' } },
          publishers: { type: 'array', items: hex(32), description: 'kids of the publishers whose signatures verified' },
          activated_at: { type: ['string', 'null'], format: 'date-time', description: 'null for the built-in profile' },
          signed: { type: 'boolean', description: 'false for the built-in profile the kernel starts with' },
        },
      },
      GecManifest: {
        type: 'object',
        description:
          'Hash-lock = SHA-256 over the RFC 8785 JCS of the manifest without `manifest_signature`; `manifest_signature.signature` is Ed25519 over that JCS text by `signing_config.public_key`. A new epoch (new `manifest_id`) is issued at each start and policy activation; `previous_manifest_hash` is the previous epoch\'s hash-lock.',
        required: [
          'manifest_version', 'manifest_id', 'epoch', 'previous_manifest_hash', 'issued_at', 'attestation_timestamp', 'gec_id', 'kernel_version',
          'soos_conformance_version', 'conformance_level', 'kernel_keypair_fingerprint', 'signing_config', 'deployment_constraints', 'hardware_backed',
          'cedar_policy_hash', 'cedar_policy_set_hashes', 'loaded_policy_ids', 'cap_profile_id', 'cap_profile_version', 'publisher_keys', 'wasm_modules',
          'xpid_derivation_version', 'capability_flags', 'manifest_signature',
        ],
        properties: {
          manifest_version: { type: 'string' },
          manifest_id: { type: 'string', format: 'uuid' },
          epoch: { type: 'integer', minimum: 1 },
          previous_manifest_hash: { oneOf: [hex(32), { type: 'null' }] },
          issued_at: { type: 'string', format: 'date-time' },
          attestation_timestamp: { type: 'integer', description: 'Unix seconds' },
          gec_id: hex(32),
          kernel_version: { type: 'string' },
          soos_conformance_version: { type: 'string' },
          conformance_level: { enum: ['KEE1-L1', 'KEE1-L2', 'KEE1-L3'] },
          kernel_keypair_fingerprint: hex(32),
          signing_config: { type: 'object', properties: { scheme: { enum: ['ed25519', 'frost'] }, algorithm: { const: 'Ed25519' }, public_key: hex(32) } },
          deployment_constraints: { type: 'array', items: { type: 'string' }, description: 'e.g. `ed25519:single`, `frost:t-of-n:2-3`' },
          hardware_backed: { type: 'boolean' },
          cedar_policy_hash: hex(32),
          cedar_policy_set_hashes: { type: 'array', items: hex(32) },
          loaded_policy_ids: { type: 'array', items: { type: 'string' } },
          cap_profile_id: { type: 'string' },
          cap_profile_version: { type: 'integer', description: '0 for the built-in unsigned profile' },
          cap_profile_hash: { ...hex(32), description: 'SHA-256(JCS(signed CAP Profile body)); absent for the built-in profile' },
          publisher_keys: { type: 'array', items: { type: 'object', properties: { key_id: hex(32), public_key: hex(32) } } },
          wasm_modules: { type: 'object', additionalProperties: hex(32), description: 'module file name -> SHA-256 of the loaded module' },
          xpid_derivation_version: { type: 'string' },
          capability_flags: { type: 'object', additionalProperties: { type: 'boolean' } },
          manifest_signature: { type: 'object', properties: { algorithm: { const: 'Ed25519' }, key_id: hex(32), signature: hex(64) } },
        },
      },
      AuditPackage: {
        type: 'object',
        required: ['format', 'block', 'public_key', 'records'],
        properties: {
          format: { const: 'kee-audit-package/1' },
          block: { $ref: '#/components/schemas/SessionBlock' },
          public_key: { $ref: '#/components/schemas/PublicKey' },
          records: {
            type: 'array',
            items: { type: 'object', properties: { leaf_index: { type: 'integer' }, record: { type: 'object', description: 'the audit record (ALE) as hashed; the first is `SESSION_OPEN`, whose `manifest_hash` is the hash-lock of the GEC Manifest in force when the session opened' }, inclusion_proof: { type: 'array', items: hex(32) } } },
          },
        },
      },
    },
  },
} as const;
