/**
 * The HTTP contract, served at `GET /openapi.json`. Paths and fields here are called by tools
 * outside the repository: change them only with good reason, and keep this document in step
 * (openapi.test.ts checks every route of the app is described; test/api-fuzz.test.ts fuzzes a
 * running kernel against it and fails on any answer it does not describe).
 *
 * Adding a path: give each operation an `operationId` and its error responses with
 * `problems([...shared sets, ...its own codes])` (openapi-problems.ts), listing every code its
 * handler can answer; statuses come from the code table in errors.ts.
 */
import { MAX_BODY_BYTES } from './body.ts';
import { ACD_PATHS, ACD_SECURITY_SCHEME } from './openapi-acd.ts';
import { JSON_BODY, METHOD_NOT_ALLOWED_RESPONSE, problems, QUERY, SIGNING, STARTED, STORE } from './openapi-problems.ts';
import { MAX_CAP_PROFILE_BYTES } from './routes/cap-profile.ts';
import { MAX_PARTY_REGISTRY_BYTES } from './routes/party-registry.ts';
import { REVOCATION_PATHS, REVOCATION_SCHEMAS } from './ssf-openapi.ts';
import { MAX_AGENT_KEYS, MAX_AGENT_ROLES, MAX_ENTITIES, MAX_PARENTS } from './schemas.ts';

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
    parents: { type: 'array', items: entity, maxItems: MAX_PARENTS, default: [] },
  },
};
/** RFC 7515 base64url without padding, non-empty. */
const base64url = { type: 'string', pattern: '^[A-Za-z0-9_-]+$' };
const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` });
const sessionId = { name: 'session_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'as answered by `POST /v1/sessions` (lowercase)' };
const blockId = { name: 'block_id', in: 'path', required: true, schema: hex(16) };
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
/** `json` for a request body, `required`. */
const body = (schema: unknown) => ({ required: true, ...json(schema) });
/** One input of `derive_xpid`: non-empty, without the `|` separator. */
const xpidPart = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^|]+$' };
/** Operations that need an operator bearer token. */
const OPERATOR = [{ operatorBearer: [] }];
/** Their refusals: no or a bad token, no fitting role, operator authentication not configured. */
const OPERATOR_AUTH = ['UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE'] as const;
/** Calls in a session under KEE_AUTH=agents: a session token (`Authorization: DPoP`) and a DPoP proof; none needed under `none`. */
const AGENT_DPOP = [{ dpop: [] }, {}];
const AGENT_AUTH = ['UNAUTHENTICATED', 'UNAVAILABLE'] as const;
const DPOP_NOTES = {
  UNAUTHENTICATED:
    'KEE_AUTH=agents: no `Authorization: DPoP <session_token>`, or a token that does not verify, has expired or is for another session; no `DPoP` proof, or one not signed by the session key, with another `htm`/`htu`, an `iat` older than 60 s, a wrong `ath`, or a replayed `jti`. The answer carries `WWW-Authenticate: DPoP` (docs/identity.md "Agent authentication")',
  UNAVAILABLE: 'KEE_AUTH=agents: the DPoP replay cache is full, or (workerd) the shared replay store in D1 cannot be reached (retry shortly)',
} as const;
const agentId = { name: 'agent_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } };
const HEM_ID_UNKNOWN = 'no human escalation has the `hem_id` given (docs/hem.md)';
const hemId = { name: 'hem_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 128 } };
/** Approvers answer escalations; they, operators and auditors read them. */
const HEM_READ_NOTE = { FORBIDDEN: 'the token carries none of `approver`, `operator`, `auditor`' };
const BODY_LIMIT = `at most ${MAX_BODY_BYTES / 1024} KiB (else 413) and 64 levels of nesting`;

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Kee — KEE-1 governance kernel',
    version: '0.1.0',
    description: [
      'Authorizes agent actions with Cedar (fail-closed), records every decision in a hash-chained audit log, and closes sessions into signed Merkle Session Blocks.',
      'Every error is `application/problem+json` (RFC 9457) with a stable `code` (one exception, fixed by KEE-1 §4.3: a failed ACD four-check on `/.well-known/soos-acd` is `403 application/json` `{"error":"ACD_CHECK_FAILED",…}`); each operation lists the codes it can answer. A path served under other methods answers `405 METHOD_NOT_ALLOWED` with `Allow` (see `components.responses.MethodNotAllowed`); an unknown path answers `404 NOT_FOUND`. A query parameter given more than once is refused (400). Every 503 carries `Retry-After`.',
      'Contract: docs/api-contract.md.',
    ].join('\n\n'),
  },
  paths: {
    ...ACD_PATHS,
    '/healthz': {
      get: {
        operationId: 'getHealth',
        summary: 'Liveness and kernel state',
        description: 'With a policy cluster (`KEE_CLUSTER_ETCD`), 503 `UNAVAILABLE` while the node is not `SERVING` (the node state in `facts.cluster`: SYNCING, or DENY_ALL with its reason): reachable, but every decision is denied.',
        responses: {
          '200': { description: 'kernel state', ...json({ $ref: '#/components/schemas/Health' }) },
          ...problems(['UNAVAILABLE'], { UNAVAILABLE: 'policy cluster node not SERVING: `facts.cluster` is the node state (SYNCING, or DENY_ALL with its reason), `facts.state` and `facts.conditions` the kernel state' }),
        },
      },
    },
    '/openapi.json': {
      get: { operationId: 'getOpenApi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document', ...json({ type: 'object', required: ['openapi', 'paths'] }) } } },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description: 'kee_decisions_total{decision}, kee_authorize_errors_total, kee_authorize_duration_seconds (histogram), kee_audit_records_total, kee_audit_batches_total, kee_kernel_state{state}, kee_kernel_condition{condition}, kee_cap_profile_version{cap_profile_id,cedar_policy_hash}, kee_sessions_open, kee_one_shot_sessions_open',
        responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string', description: 'Prometheus text exposition format 0.0.4 (`content-type: text/plain; version=0.0.4; charset=utf-8`)' } } } } },
      },
    },
    '/v1/kernel/public-key': {
      get: { operationId: 'getPublicKey', summary: 'The kernel signing key (KIA)', responses: { '200': { description: 'public key', ...json({ $ref: '#/components/schemas/PublicKey' }) } } },
    },
    '/.well-known/jwks.json': {
      get: {
        operationId: 'getJwks',
        summary: 'The kernel token keys that sign credentials (RFC 7517 JWK Set; `kid` = RFC 7638 thumbprint); not the block-signing key',
        responses: { '200': { description: 'JWK Set', content: { 'application/jwk-set+json': { schema: { $ref: '#/components/schemas/JwkSet' } } } } },
      },
    },
    '/v1/credentials/introspect': {
      post: {
        operationId: 'introspectCredential',
        summary: 'RFC 7662 introspection of a credential: its claims with `active: true`, or only `active: false` (KEE_AUTH=agents: role `operator` or `auditor`)',
        description: 'RFC 7662 §2.1: the caller authenticates. Under KEE_AUTH=agents an operator token with role `operator` or `auditor`; under `none` anyone (docs/credentials.md).',
        security: [{ operatorBearer: [] }, {}],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/CredentialToken' } },
            'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/CredentialToken' } },
          },
        },
        responses: {
          '200': {
            description: '`active: true` and the claims when this kernel signed it, the kernel clock is in [nbf, exp) and its jti is not revoked; otherwise `{"active": false}`',
            ...json({ type: 'object', required: ['active'], properties: { active: { type: 'boolean' } }, additionalProperties: true }),
          },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'AUDIT_TAMPERED'], { AUDIT_TAMPERED: 'the stored revocation log has a gap or a malformed entry', UNAUTHENTICATED: 'KEE_AUTH=agents: no operator token, or one that does not verify (`WWW-Authenticate: Bearer`)', FORBIDDEN: 'KEE_AUTH=agents: the token has neither role `operator` nor `auditor`', UNAVAILABLE: 'KEE_AUTH=agents and no operator key set configured' }),
        },
      },
    },
    '/v1/credentials/revoke': {
      post: {
        operationId: 'revokeCredential',
        summary: 'RFC 7009 revocation of a credential: 200 whether or not the token is known (KEE_AUTH=agents: role `operator`, or the credential\'s holder)',
        description: 'A credential this kernel signed is recorded as `CREDENTIAL_REVOKED` in the kernel journal and added to the revocation feed, durably before the answer. Under KEE_AUTH=agents the caller is an operator (bearer token, role `operator`) or the credential\'s holder: `Authorization: DPoP <the credential of the body>` and a `DPoP` proof (`htm` POST, `htu` this URL, `ath` over the credential, fresh `jti`) signed by the key of its `cnf.jkt`. Under `none` anyone (docs/credentials.md).',
        security: [{ operatorBearer: [] }, { dpop: [] }, {}],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/CredentialToken' } },
            'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/CredentialToken' } },
          },
        },
        responses: {
          '200': { description: 'revoked, already revoked, or (operator) not a credential of this kernel: `{}` either way', ...json({ type: 'object', maxProperties: 0 }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'AUDIT_TAMPERED'], {
            AUDIT_TAMPERED: 'the stored revocation log has a gap or a malformed entry',
            UNAUTHENTICATED: 'KEE_AUTH=agents: no operator token and no holder proof; a token that does not verify (`WWW-Authenticate: Bearer`); as the holder, `Authorization: DPoP` naming another credential than the body, a credential this kernel did not sign, a missing proof or one not by the `cnf.jkt` key, with another `htm`/`htu`, stale, a wrong `ath` or a replayed `jti` (`WWW-Authenticate: DPoP`)',
            FORBIDDEN: 'KEE_AUTH=agents: an operator token without role `operator`; as the holder, a credential bound to no key (no `cnf.jkt`)',
            UNAVAILABLE: 'KEE_AUTH=agents: no operator key set configured (operator tokens), or the DPoP replay cache is full, or (workerd) the shared replay store in D1 cannot be reached',
          }),
        },
      },
    },
    '/v1/credentials/revocations': {
      get: {
        operationId: 'getCredentialRevocations',
        summary: 'The revocation feed resource providers poll: revoked credential ids after `since`, with the current sequence and time',
        description: 'Public in every KEE_AUTH mode: providers poll it without credentials, and it names only credential ids (`jti`), revocation times and expiries, which reveal nothing without the credentials themselves (docs/credentials.md).',
        parameters: [{ name: 'since', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }, description: 'the last sequence already seen' }],
        responses: {
          '200': { description: 'one page (at most 1,000 entries)', ...json({ $ref: '#/components/schemas/RevocationFeed' }) },
          ...problems([...QUERY, ...STARTED, ...STORE, 'AUDIT_TAMPERED'], { INVALID_INPUT: '`since` is not an integer from 0, or given more than once', AUDIT_TAMPERED: 'the stored revocation log has a gap or a malformed entry' }),
        },
      },
    },
    ...REVOCATION_PATHS,
    '/v1/manifest': {
      get: {
        operationId: 'getManifest',
        summary: 'The GEC Manifest (P5): hash-locked, signed, re-verified on every read (in memory and against the stored copy)',
        responses: {
          '200': { description: 'the current manifest, in JCS form', content: { 'application/soos-gec-manifest+json': { schema: { $ref: '#/components/schemas/GecManifest' } } } },
          ...problems([...STARTED, ...STORE, 'MANIFEST_INTEGRITY_FAILURE']),
        },
      },
    },
    '/v1/sessions': {
      get: {
        operationId: 'listOpenSessions',
        summary: 'The open sessions, newest first (role `operator` or `auditor`; the console\'s Sessions page): at most 1,000, `truncated` when more are open',
        security: OPERATOR,
        parameters: [{ name: 'status', in: 'query', required: false, schema: { const: 'OPEN', default: 'OPEN' }, description: 'only `OPEN` (closed sessions are Session Blocks: `GET /v1/audit/log/entries/{index}`)' }],
        responses: {
          '200': {
            description: 'the open sessions',
            headers: { 'Cache-Control': { schema: { const: 'no-store' } } },
            ...json({
              type: 'object',
              required: ['sessions', 'truncated'],
              properties: {
                sessions: { type: 'array', items: { type: 'object', required: ['session_id', 'block_id', 'agent_id', 'status', 'created_at'], properties: { session_id: { type: 'string', format: 'uuid' }, block_id: hex(16), agent_id: { type: 'string' }, status: { const: 'OPEN' }, created_at: { type: 'string', format: 'date-time' } } } },
                truncated: { type: 'boolean', description: 'more than 1,000 sessions are open: these are any 1,000 of them' },
              },
            }),
          },
          ...problems([...QUERY, ...STARTED, ...STORE, ...OPERATOR_AUTH], { INVALID_INPUT: '`status` is not `OPEN`, or given more than once' }),
        },
      },
      post: {
        operationId: 'openSession',
        summary: 'Open an agent session',
        requestBody: body({
          type: 'object',
          required: ['agent_id'],
          additionalProperties: false,
          properties: {
            agent_id: { type: 'string', minLength: 1, maxLength: 256 },
            xpid: { description: 'never accepted: an XPID is derived by the kernel only (400 `INVALID_XPID_CLAIM`)' },
            client_assertion: {
              type: 'string',
              minLength: 1,
              maxLength: 8192,
              description:
                'KEE_AUTH=agents (required; ignored under `none`): an RFC 7523 style JWT signed (EdDSA) by one of the agent\'s registered keys: `iss` = `sub` = agent_id, `aud` = the kernel\'s origin `kee.local/<kernel key id>`, `iat`, `exp` at most 60 s later, a `jti` never used before (docs/identity.md)',
            },
            client_assertion_type: { const: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' },
          },
        }),
        responses: {
          '201': {
            description: 'session opened; its block id is the id of the Session Block its close signs',
            ...json({
              type: 'object',
              required: ['session_id', 'block_id', 'agent_id'],
              properties: {
                session_id: { type: 'string', format: 'uuid' },
                block_id: hex(16),
                agent_id: { type: 'string', description: 'as given' },
                session_token: { type: 'string', description: 'KEE_AUTH=agents only: a compact JWS (EdDSA, `typ` `kee-session+jwt`) by the kernel token key: `iss`, `sub` (the agent XPID), `agent_id`, `sid`, `iat`, `exp`, `jti`, `cnf.jkt` (RFC 7638 thumbprint of the key that signed the assertion). Send it as `Authorization: DPoP <session_token>` with a `DPoP` proof on every call of the session' },
                token_type: { const: 'DPoP' },
                expires_in: { type: 'integer', description: 'seconds the session token is valid (3600)' },
              },
            }),
            links: {
              authorize: { operationId: 'authorize', parameters: { session_id: '$response.body#/session_id' }, description: 'authorize actions in the new session' },
              close: { operationId: 'closeSession', parameters: { session_id: '$response.body#/session_id' }, description: 'close it into a signed Session Block' },
            },
          },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, 'INVALID_XPID_CLAIM', 'UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE'], {
            PAYLOAD_TOO_LARGE: `over ${MAX_BODY_BYTES} bytes`,
            UNAUTHENTICATED: 'KEE_AUTH=agents: no `client_assertion`, or one that does not verify: an unregistered agent, no registered key of the agent signs it, `iss`/`sub` not the agent_id, another `aud`, expired, a lifetime over 60 s, no `jti` or a replayed one. The answer carries `WWW-Authenticate: DPoP`',
            FORBIDDEN: 'KEE_AUTH=agents: the agent is SUSPENDED or REVOKED: it cannot open sessions',
            UNAVAILABLE: 'KEE_AUTH=agents: the assertion replay cache is full, or (workerd) the shared replay store in D1 cannot be reached (retry shortly)',
          }),
        },
      },
    },
    '/v1/xpid/derive': {
      post: {
        operationId: 'deriveXpid',
        summary: 'KEE §10 `derive_xpid`: the XPID of one interaction between two KIA parties (public; derives and stores nothing)',
        description:
          'UUIDv5 (RFC 9562 §5.5) in the SOOS namespace `bcab38fe-febf-4632-8fc9-2a23cb9e4ee3` of the UTF-8 of the five inputs joined with `|`, in the order of the schema. Deterministic. The nonces must come fresh from a CSPRNG right before the call (at least 128 bits each, DIST §10.1): the caller\'s duty, not checked here. See docs/identity.md.',
        requestBody: body({
          type: 'object',
          required: ['initiating_kia_id', 'responding_kia_id', 'initiated_at', 'initiating_nonce', 'responding_nonce'],
          additionalProperties: false,
          properties: {
            initiating_kia_id: xpidPart,
            responding_kia_id: xpidPart,
            initiated_at: { type: 'string', format: 'date-time', pattern: 'Z$', description: 'ISO 8601 UTC with `Z` (no offset): when the initiator received the responder\'s nonce' },
            initiating_nonce: xpidPart,
            responding_nonce: xpidPart,
          },
        }),
        responses: {
          '200': { description: 'the XPID', ...json({ type: 'object', required: ['xpid'], properties: { xpid: { type: 'string', format: 'uuid' } } }) },
          ...problems([...JSON_BODY], { INVALID_INPUT: 'also an input containing `|`, or `initiated_at` not ISO 8601 UTC' }),
        },
      },
    },
    '/v1/agents': {
      post: {
        operationId: 'registerAgent',
        summary: 'Register an agent (role `operator`): the kernel derives its XPID and records XPID_DERIVED and AGENT_REGISTERED',
        security: OPERATOR,
        requestBody: body({
          type: 'object',
          required: ['agent_id', 'public_keys'],
          additionalProperties: false,
          properties: {
            agent_id: { type: 'string', minLength: 1, maxLength: 256, description: 'the Cedar id of its entity `Agent::"<agent_id>"`; never registered before (revoked ones included)' },
            display_name: { type: 'string', minLength: 1, maxLength: 256 },
            roles: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: MAX_AGENT_ROLES },
            attributes: { type: 'object', additionalProperties: true, description: 'Cedar entity attributes (not `roles`, `xpid`, `status`: the kernel sets those)' },
            parents: { type: 'array', items: entity, maxItems: MAX_PARENTS },
            public_keys: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_AGENT_KEYS,
              items: { type: 'object', required: ['kty', 'crv', 'x'], properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, x: { type: 'string', pattern: '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$' }, kid: { type: 'string' }, alg: { enum: ['EdDSA', 'Ed25519'] }, use: { const: 'sig' } } },
              description: 'Ed25519 public JWKs (RFC 8037); a private key (`d`) is refused',
            },
            xpid: { description: 'never accepted: 400 `INVALID_XPID_CLAIM`' },
          },
        }),
        responses: {
          '201': {
            description: 'registered, ACTIVE',
            headers: { Location: { description: 'the agent', schema: { type: 'string' } } },
            ...json({ type: 'object', required: ['agent_id', 'xpid', 'status', 'registry_entry_hash'], properties: { agent_id: { type: 'string' }, xpid: { type: 'string', format: 'uuid' }, status: { const: 'ACTIVE' }, registry_entry_hash: hex(32) } }),
          },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'INVALID_XPID_CLAIM', 'CONFLICT'], { CONFLICT: 'also: the agent_id is registered already' }),
        },
      },
      get: {
        operationId: 'listAgents',
        summary: 'The registered agents, by agent_id, a page at a time (role `operator` or `auditor`)',
        description: 'Keyset pagination: agents sorted by agent_id (UTF-16 code units), those after `after`, at most `limit`. While more follow, the answer carries `next_after`: ask again with `after` = it.',
        security: OPERATOR,
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, description: 'agents per page' },
          { name: 'after', in: 'query', required: false, schema: { type: 'string', minLength: 1, maxLength: 256 }, description: 'the last agent_id of the previous page (`next_after`): this page starts after it' },
        ],
        responses: {
          '200': {
            description: 'one page of the registry',
            ...json({ type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: { $ref: '#/components/schemas/Agent' } }, next_after: { type: 'string', description: 'present while more agents follow: the `after` of the next page' } } }),
          },
          ...problems([...QUERY, ...STARTED, ...OPERATOR_AUTH], { INVALID_INPUT: '`limit` not an integer from 1 to 1000, `after` empty or over 256 characters, or either given more than once' }),
        },
      },
    },
    '/v1/agents/{agent_id}': {
      get: {
        operationId: 'getAgent',
        summary: 'One registered agent with its registry entry (role `operator` or `auditor`)',
        security: OPERATOR,
        parameters: [agentId],
        responses: { '200': { description: 'the agent', ...json({ $ref: '#/components/schemas/Agent' }) }, ...problems([...STARTED, ...OPERATOR_AUTH, 'NOT_FOUND']) },
      },
      patch: {
        operationId: 'setAgentStatus',
        summary: 'Suspend or reactivate an agent (role `operator`; AGENT_STATUS_CHANGED); the same status again changes nothing',
        security: OPERATOR,
        parameters: [agentId],
        requestBody: body({ type: 'object', required: ['status'], additionalProperties: false, properties: { status: { enum: ['ACTIVE', 'SUSPENDED'] } } }),
        responses: {
          '200': { description: 'the agent', ...json({ $ref: '#/components/schemas/Agent' }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND', 'CONFLICT'], { CONFLICT: 'also: the agent is revoked (final)' }),
        },
      },
    },
    '/v1/decisions/stream': {
      get: {
        operationId: 'streamDecisions',
        summary: 'The kernel\'s decisions as server-sent events (role `operator` or `auditor`; the web console\'s live view, docs/console.md): first the last decisions it holds (up to 200), then each new one',
        security: OPERATOR,
        parameters: [{ name: 'follow', in: 'query', required: false, schema: { enum: ['true', 'false'], default: 'true' }, description: '`false`: send the held decisions, then end the stream' }],
        responses: {
          '200': {
            description: 'an event stream: `event: decision`, `id` counting from 1 in this stream, `data` one decision as JSON (no context, entities or credential); `: keepalive` comments while idle. Not evidence: the records are in the audit log (session `session_id`, `ale_seq`).',
            content: {
              'text/event-stream': {
                schema: { type: 'string' },
                // the JSON of each `data:` line
                'x-event-data': {
                  type: 'object',
                  required: ['at', 'session_id', 'block_id', 'agent_id', 'ale_seq', 'principal', 'action', 'resource', 'decision', 'policy_ids', 'latency_ms'],
                  properties: {
                    at: { type: 'string', format: 'date-time' },
                    session_id: { type: 'string' },
                    block_id: { type: 'string' },
                    agent_id: { type: 'string' },
                    ale_seq: { type: 'integer' },
                    principal: { type: 'string', description: 'Cedar entity uid, e.g. `Agent::"a"`' },
                    action: { type: 'string' },
                    resource: { type: 'string' },
                    decision: { enum: ['PERMIT', 'DENY'] },
                    policy_ids: { type: 'array', items: { type: 'string' }, description: 'the determining policies (empty: default DENY)' },
                    latency_ms: { type: 'number', description: 'wall time of the call that decided it (a batch: the whole call)' },
                  },
                },
              },
            },
          },
          ...problems(['INVALID_INPUT', ...OPERATOR_AUTH]),
        },
      },
    },
    '/v1/agents/{agent_id}/revoke': {
      post: {
        operationId: 'revokeAgent',
        summary: 'Revoke an agent for good (role `operator`; AGENT_REVOKED, and an `XPID` entry in the revocation feed so providers refuse its credentials); revoking a revoked agent changes nothing',
        security: OPERATOR,
        parameters: [agentId],
        responses: { '200': { description: 'the agent, REVOKED', ...json({ $ref: '#/components/schemas/Agent' }) }, ...problems([...STARTED, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND', 'CONFLICT']) },
      },
    },
    '/v1/hem/escalations': {
      get: {
        operationId: 'listEscalations',
        summary: 'Human escalations, newest first (roles `approver`, `operator`, `auditor`); overdue PENDING ones are resolved TIMEOUT_DENY first',
        security: OPERATOR,
        parameters: [{ name: 'status', in: 'query', required: false, schema: { enum: ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'] } }],
        responses: {
          '200': { description: 'the escalations', ...json({ type: 'object', required: ['escalations'], properties: { escalations: { type: 'array', items: { $ref: '#/components/schemas/Escalation' } } } }) },
          ...problems([...STARTED, ...STORE, ...QUERY, ...OPERATOR_AUTH, 'AUDIT_TAMPERED'], { ...HEM_READ_NOTE, INVALID_INPUT: '`status` is not one of the four' }),
        },
      },
    },
    '/v1/hem/escalations/{hem_id}': {
      get: {
        operationId: 'getEscalation',
        summary: 'One human escalation (roles `approver`, `operator`, `auditor`)',
        security: OPERATOR,
        parameters: [hemId],
        responses: { '200': { description: 'the escalation', ...json({ $ref: '#/components/schemas/Escalation' }) }, ...problems([...STARTED, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND', 'AUDIT_TAMPERED'], HEM_READ_NOTE) },
      },
    },
    '/v1/hem/escalations/{hem_id}/approve': {
      post: {
        operationId: 'approveEscalation',
        summary: 'Approve a PENDING escalation (role `approver` only): HEM_RESOLVED APPROVED with the token\'s `sub`, the time and the comment',
        security: OPERATOR,
        parameters: [hemId],
        requestBody: { required: false, ...json({ type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2048 } } }) },
        responses: { '200': { description: 'the escalation, APPROVED', ...json({ $ref: '#/components/schemas/Escalation' }) }, ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND', 'CONFLICT', 'AUDIT_TAMPERED'], { CONFLICT: 'the escalation is resolved already (approved, rejected or timed out)', FORBIDDEN: 'the token does not carry `approver`' }) },
      },
    },
    '/v1/hem/escalations/{hem_id}/reject': {
      post: {
        operationId: 'rejectEscalation',
        summary: 'Reject a PENDING escalation (role `approver` only): HEM_RESOLVED REJECTED with the token\'s `sub`, the time and the comment',
        security: OPERATOR,
        parameters: [hemId],
        requestBody: { required: false, ...json({ type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2048 } } }) },
        responses: { '200': { description: 'the escalation, REJECTED', ...json({ $ref: '#/components/schemas/Escalation' }) }, ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND', 'CONFLICT', 'AUDIT_TAMPERED'], { CONFLICT: 'the escalation is resolved already (approved, rejected or timed out)', FORBIDDEN: 'the token does not carry `approver`' }) },
      },
    },
    '/v1/hem/events': {
      get: {
        operationId: 'hemEvents',
        summary: 'Server-sent events for approvers (roles `approver`, `operator`): `hem_triggered` and `hem_resolved`, each `data` an Escalation',
        security: OPERATOR,
        responses: {
          '200': { description: 'an event stream (`text/event-stream`), open until the client leaves', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...problems([...OPERATOR_AUTH], { FORBIDDEN: 'the token carries neither `approver` nor `operator`' }),
        },
      },
    },
    '/v1/sessions/{session_id}/authorize': {
      post: {
        operationId: 'authorize',
        summary: 'Authorize one agent action (Cedar, fail-closed); the audit record is durable before the answer',
        description: 'Under KEE_AUTH=agents the call proves possession of the session key (DPoP), and a `principal` other than `Agent::"<the session agent_id>"` is a DENY recorded with the reason `PRINCIPAL_MISMATCH: …`. In any mode, a session of a registered agent that is SUSPENDED or REVOKED DENIES with the reason `AGENT_SUSPENDED: …` / `AGENT_REVOKED: …`. P8 (docs/revocation.md): a revoked XPID of the agent, or a revoked mandate naming it, DENIES with `XPID_REVOKED: …` / `MANDATE_REVOKED: …`; while an SSF stream from a configured transmitter is silent past its bound, an agent not registered here DENIES with `REVOCATION_STATUS_UNCONFIRMED: …`.',
        security: AGENT_DPOP,
        parameters: [sessionId],
        requestBody: body({ $ref: '#/components/schemas/AuthorizeRequest' }),
        responses: {
          '200': {
            description: 'decision',
            ...json({ $ref: '#/components/schemas/Decision' }),
            links: {
              authorizeAgain: { operationId: 'authorize', parameters: { session_id: '$request.path.session_id' } },
              close: { operationId: 'closeSession', parameters: { session_id: '$request.path.session_id' } },
            },
          },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...AGENT_AUTH, 'SESSION_NOT_FOUND', 'SESSION_CLOSED', 'SESSION_EXPIRED', 'AUDIT_TAMPERED', 'CONFLICT', 'SIGNER_FAILED', 'NOT_FOUND', 'HEM_MISMATCH'], {
            NOT_FOUND: HEM_ID_UNKNOWN,
            ...DPOP_NOTES,
            SIGNER_FAILED: 'the token key could not sign a PERMIT\'s credential (the decision is recorded; no credential leaves)',
            INVALID_INPUT: 'also an entity uid given twice in `entities`, a body nested deeper than 64 levels, or another documented input limit (docs/api-contract.md)',
            PAYLOAD_TOO_LARGE: `over ${MAX_BODY_BYTES} bytes (${MAX_ENTITIES} entities fit only when small)`,
            AUDIT_TAMPERED: 'the session is marked tampered',
          }),
        },
      },
    },
    '/v1/sessions/{session_id}/authorize/batch': {
      post: {
        operationId: 'authorizeBatch',
        summary: 'Authorize up to 100 actions in one session: one result per request, in order, each recorded (ale_seq ascending) before the answer',
        description: 'A request the engine fails on is a DENY for that request only. A body that does not validate (any request) is refused whole with 400 and nothing is recorded; a failure to record any decision fails the whole call (503) and no decision is returned. Body at most 1 MiB. Authentication and PRINCIPAL_MISMATCH as for a single authorize (each request checked).',
        security: AGENT_DPOP,
        parameters: [sessionId],
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/AuthorizeBatch' }) },
        responses: {
          '200': { description: 'decisions, in request order', ...json({ type: 'object', required: ['results'], properties: { results: { type: 'array', items: { $ref: '#/components/schemas/Decision' } } } }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...AGENT_AUTH, 'SESSION_NOT_FOUND', 'SESSION_CLOSED', 'SESSION_EXPIRED', 'AUDIT_TAMPERED', 'CONFLICT', 'SIGNER_FAILED', 'NOT_FOUND', 'HEM_MISMATCH'], {
            NOT_FOUND: HEM_ID_UNKNOWN,
            ...DPOP_NOTES,
            SIGNER_FAILED: 'the token key could not sign a PERMIT\'s credential (the decision is recorded; no credential leaves)',
            INVALID_INPUT: 'also any one request breaking the authorize rules (entity uid twice, hierarchy limits): the whole batch is refused, nothing recorded',
            PAYLOAD_TOO_LARGE: 'over 1 MiB',
          }),
        },
      },
    },
    '/v1/authorize': {
      post: {
        operationId: 'authorizeOneShot',
        summary: 'One-shot decision without a session: the body and answer of POST /v1/sessions/{session_id}/authorize, recorded in the principal\'s kernel-managed session',
        description: 'One kernel-managed session per principal (agent_id = the principal\'s Cedar uid), closed into a signed Session Block after 1,000 decisions or 60 s (or when more than 1,000 are open, or when closed with POST /v1/sessions/{session_id}/close); the answer names the session and block, so the audit package can be fetched once the block is closed. The record is durable before the answer; fails closed like the session route.',
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/AuthorizeRequest' }) },
        responses: {
          '200': { description: 'decision', ...json({ $ref: '#/components/schemas/OneShotDecision' }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, 'CONFLICT', 'SIGNER_FAILED', 'UNAUTHENTICATED', 'NOT_FOUND', 'HEM_MISMATCH', 'AUDIT_TAMPERED'], { AUDIT_TAMPERED: 'the stored party registry cannot be read (its acd_required declarations decide requests with an `audience`)', NOT_FOUND: HEM_ID_UNKNOWN, UNAUTHENTICATED: 'KEE_AUTH=agents: one-shot decisions are refused (agents authenticate through sessions); the answer carries `WWW-Authenticate: DPoP`', PAYLOAD_TOO_LARGE: `over ${MAX_BODY_BYTES} bytes`, SIGNER_FAILED: 'the token key could not sign a PERMIT\'s credential (the decision is recorded; no credential leaves)' }),
        },
      },
    },
    '/v1/authorize/batch': {
      post: {
        operationId: 'authorizeOneShotBatch',
        summary: 'Up to 100 one-shot decisions: one result per request, in order, each recorded in its principal\'s kernel-managed session',
        description: 'Same rules as POST /v1/sessions/{session_id}/authorize/batch; body at most 1 MiB.',
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/AuthorizeBatch' }) },
        responses: {
          '200': { description: 'decisions, in request order', ...json({ type: 'object', required: ['results'], properties: { results: { type: 'array', items: { $ref: '#/components/schemas/OneShotDecision' } } } }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, 'CONFLICT', 'SIGNER_FAILED', 'UNAUTHENTICATED', 'NOT_FOUND', 'HEM_MISMATCH', 'AUDIT_TAMPERED'], { AUDIT_TAMPERED: 'the stored party registry cannot be read (its acd_required declarations decide requests with an `audience`)', NOT_FOUND: HEM_ID_UNKNOWN, UNAUTHENTICATED: 'KEE_AUTH=agents: one-shot decisions are refused (agents authenticate through sessions); the answer carries `WWW-Authenticate: DPoP`', PAYLOAD_TOO_LARGE: 'over 1 MiB', SIGNER_FAILED: 'the token key could not sign a PERMIT\'s credential (the decision is recorded; no credential leaves)' }),
        },
      },
    },
    '/v1/sessions/{session_id}/tool-results': {
      post: {
        operationId: 'recordToolResult',
        summary: 'Record what a permitted tool call answered (TOOL_RESULT: digests, bodies only if given); durable before the answer',
        description: 'For an enforcement point that forwards calls itself, such as `kee mcp-gateway` with a remote kernel (docs/mcp.md). `decision_seq` must be the `ale_seq` of a CEDAR_PERMIT of this session for `Resource Tool::"<tool>"`, not yet followed by a TOOL_RESULT (else 409, nothing recorded). `arguments` / `result`, when given, must be the JSON whose JCS form digests to `arguments_digest` / `result_digest`, each at most 64 KiB of JCS. Authentication as for authorize (DPoP under KEE_AUTH=agents).',
        security: AGENT_DPOP,
        parameters: [sessionId],
        requestBody: body({ $ref: '#/components/schemas/ToolResult' }),
        responses: {
          '201': { description: 'recorded', ...json({ type: 'object', required: ['ale_seq'], properties: { ale_seq: { type: 'integer', minimum: 2, description: 'of the TOOL_RESULT record' } } }) },
          ...problems([...JSON_BODY, ...STARTED, ...STORE, ...AGENT_AUTH, 'SESSION_NOT_FOUND', 'SESSION_CLOSED', 'CONFLICT'], {
            ...DPOP_NOTES,
            CONFLICT: '`decision_seq` is no CEDAR_PERMIT of this session for this tool, or already has its TOOL_RESULT',
            INVALID_INPUT: 'also a body that does not match its digest or is larger than 64 KiB (JCS)',
            PAYLOAD_TOO_LARGE: 'over 512 KiB',
          }),
        },
      },
    },
    '/v1/sessions/{session_id}/close': {
      post: {
        operationId: 'closeSession',
        summary: 'Close a session into a signed Session Block (idempotent: a closed session answers its block, re-verified)',
        description: 'Under KEE_AUTH=agents the call proves possession of the session key (DPoP), as authorize does.',
        security: AGENT_DPOP,
        parameters: [sessionId],
        responses: {
          '200': {
            description: 'the Session Block, with `log_index` (its leaf index in the block log; not part of the signed block or of its leaf)',
            ...json({ allOf: [{ $ref: '#/components/schemas/SessionBlock' }, { type: 'object', required: ['log_index'], properties: { log_index: { type: 'integer', minimum: 0 } } }] }),
            links: {
              block: { operationId: 'getBlock', parameters: { block_id: '$response.body#/block_id' } },
              package: { operationId: 'getAuditPackage', parameters: { block_id: '$response.body#/block_id' } },
            },
          },
          ...problems([...STARTED, ...STORE, ...SIGNING, ...AGENT_AUTH, 'SESSION_NOT_FOUND', 'AUDIT_TAMPERED', 'CONFLICT'], {
            ...DPOP_NOTES,
            SIGNER_FAILED: 'the close waited for signing to come back, in vain; the session stays closing and is completed once signing is back',
          }),
        },
      },
    },
    '/v1/cap-profile': {
      get: {
        operationId: 'getCapProfile',
        summary: 'The active CAP Profile: id, version (0 for the built-in unsigned profile), cap_profile_hash, cedar_policy_hash, policy ids and tiers, signing publishers',
        responses: { '200': { description: 'active profile', ...json({ $ref: '#/components/schemas/ActiveCapProfile' }) } },
      },
      put: {
        operationId: 'putCapProfile',
        summary: 'Submit a signed CAP Profile update (P4): accepted only when ≥ 2 of the 3 configured publishers signed; every refusal is recorded as CAP_PROFILE_REFUSED',
        description: `Body: a JWS JSON general serialization (RFC 7515 §7.2.1), up to ${MAX_CAP_PROFILE_BYTES / 1024 / 1024} MiB. \`payload\` is base64url(JCS(profile body)); one \`signatures[]\` entry per publisher with protected header \`{"alg":"EdDSA","kid":<hex SHA-256 of the raw Ed25519 public key>}\`. Any JSON object is read as an envelope: one that does not match this schema is refused as \`CAP_PROFILE_MALFORMED\` (422) and recorded like every refusal.`,
        requestBody: body({
          type: 'object',
          required: ['payload', 'signatures'],
          properties: {
            payload: { ...base64url, description: 'base64url of the JCS form of the CapProfileBody' },
            signatures: {
              type: 'array',
              minItems: 1,
              maxItems: 16,
              items: { type: 'object', required: ['protected', 'signature'], properties: { protected: base64url, header: { type: 'object' }, signature: base64url } },
            },
          },
        }),
        responses: {
          '200': {
            description: 'accepted and activated',
            ...json({
              type: 'object',
              required: ['cap_profile_id', 'version', 'cap_profile_hash', 'cedar_policy_hash', 'activated_at'],
              properties: { cap_profile_id: { type: 'string' }, version: { type: 'integer', minimum: 1 }, cap_profile_hash: hex(32), cedar_policy_hash: hex(32), activated_at: { type: 'string', format: 'date-time' } },
            }),
          },
          ...problems(
            [
              ...JSON_BODY, ...STARTED, ...STORE, ...SIGNING, 'UNAVAILABLE', 'CONFLICT',
              'CAP_SIGNATURES_INSUFFICIENT', 'CAP_PROFILE_MALFORMED', 'CAP_POLICY_INVALID', 'CAP_ANNOTATION_INVALID', 'CAP_POLICY_HASH_MISMATCH', 'CAP_AUTHORITY_SOURCE_MISSING',
              'CAP_AUTHORITY_SOURCE_UNOFFICIAL', 'CAP_CONFORMANCE_LEVEL', 'CAP_ROLLBACK', 'CAP_CATALOG_VERSION_CONFLICT', 'CAP_NOT_YET_EFFECTIVE', 'CAP_CONFLICT', 'RATE_LIMITED',
            ],
            {
              PAYLOAD_TOO_LARGE: `over ${MAX_CAP_PROFILE_BYTES} bytes`,
              UNAVAILABLE: 'no publisher keys are configured, or the policy activation could not run',
              CONFLICT: 'another policy activation is in progress',
              RATE_LIMITED: 'more refused updates than the kernel records (10 a minute); this refusal is not recorded. A correctly signed update is not affected',
              SIGNER_FAILED: 'the manifest of the new epoch could not be signed',
              CAP_AUTHORITY_SOURCE_UNOFFICIAL: 'a government profile\'s tier 1 policy has an `@authority_source_uri` outside the official law-publication schemes (docs/cap-profiles.md)',
              CAP_CONFORMANCE_LEVEL: 'a government profile on a deployment below KEE1-L3 (accepted only with KEE_ALLOW_NONCONFORMANT=1, and the manifest then says the deployment is non-conformant)',
            },
          ),
        },
      },
    },
    '/v1/party-registry': {
      get: {
        operationId: 'getPartyRegistry',
        summary: 'The latest KIA Party Registry this kernel accepted: kernels (KIA id → FROST group public key) and resource providers, signed by the CAP Profile publishers, not by the kernel (docs/party-registry.md)',
        description: 'A resource provider verifies `jws` against the publisher keys it pins itself (`verifyPartyRegistry` of `kee/verifier`) and takes the key that signs ACD Records from it; the other members are the kernel\'s reading of it.',
        responses: {
          '200': {
            description: 'the stored registry',
            ...json({
              type: 'object',
              required: ['seq', 'stored_at', 'registry_id', 'version', 'registry_hash', 'publishers', 'jws'],
              properties: {
                seq: { type: 'integer', minimum: 1 },
                stored_at: { type: 'string', format: 'date-time' },
                registry_id: { type: 'string' },
                version: { type: 'integer', minimum: 1 },
                registry_hash: { ...hex(32), description: 'SHA-256 of the signed payload (the JCS of the registry body)' },
                publishers: { type: 'array', items: hex(32), description: '`kid`s of the configured publishers whose signatures verified' },
                jws: { type: 'object', required: ['payload', 'signatures'], properties: { payload: { type: 'string' }, signatures: { type: 'array', items: { type: 'object' } } }, description: 'the JWS JSON general serialization as submitted' },
              },
            }),
          },
          ...problems([...STORE, 'NOT_FOUND'], { NOT_FOUND: 'no party registry was submitted to this kernel' }),
        },
      },
      put: {
        operationId: 'putPartyRegistry',
        summary: 'Submit a KIA Party Registry signed by ≥ 2 of the 3 configured publishers (KEE_PUBLISHER_KEYS); accepted ones are stored and journaled as PARTY_REGISTRY_ACCEPTED',
        description: `Body: a JWS JSON general serialization (RFC 7515 §7.2.1), up to ${MAX_PARTY_REGISTRY_BYTES / 1024 / 1024} MiB, signed like a CAP Profile update (\`kee party-registry sign\`): \`payload\` is base64url(JCS(registry body)), one \`signatures[]\` entry per publisher with protected header \`{"alg":"EdDSA","kid":<hex SHA-256 of the raw Ed25519 public key>}\`. The body: \`{"registry_type":"kia-party-registry","registry_id","version","issued_at","kernels":[{"kia_id","group_public_key",…}],"resource_providers":[{"provider_id","acd_required","resource_audiences","acd_requirements"?}]}\`.`,
        requestBody: body({
          type: 'object',
          required: ['payload', 'signatures'],
          properties: {
            payload: { ...base64url, description: 'base64url of the JCS form of the registry body' },
            signatures: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'object', required: ['protected', 'signature'], properties: { protected: base64url, header: { type: 'object' }, signature: base64url } } },
          },
        }),
        responses: {
          '200': {
            description: 'accepted and stored',
            ...json({
              type: 'object',
              required: ['seq', 'stored_at', 'registry_id', 'version', 'registry_hash', 'publishers'],
              properties: { seq: { type: 'integer', minimum: 1 }, stored_at: { type: 'string', format: 'date-time' }, registry_id: { type: 'string' }, version: { type: 'integer', minimum: 1 }, registry_hash: hex(32), publishers: { type: 'array', items: hex(32) } },
            }),
          },
          ...problems([...JSON_BODY, ...STORE, 'UNAVAILABLE', 'CONFLICT', 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT', 'PARTY_REGISTRY_MALFORMED', 'PARTY_REGISTRY_ROLLBACK', 'PARTY_REGISTRY_KERNEL_MISSING'], {
            PAYLOAD_TOO_LARGE: `over ${MAX_PARTY_REGISTRY_BYTES} bytes`,
            UNAVAILABLE: 'no publisher keys are configured',
            CONFLICT: 'a concurrent submission on another instance stored the same seq; retry',
          }),
        },
      },
    },
    '/v1/cap-profile/history': {
      get: {
        operationId: 'listCapProfileUpdates',
        summary: 'The signed CAP Profile updates this kernel accepted, oldest first (the latest 1000; the built-in profile is not one): what the console diffs',
        responses: {
          '200': {
            description: 'the stored updates',
            ...json({ type: 'object', required: ['updates'], properties: { updates: { type: 'array', items: { type: 'object', required: ['seq', 'doc_id', 'stored_at'], properties: { seq: { type: 'integer', minimum: 1 }, doc_id: { type: 'string', description: '`<cap_profile_id>@<version>`' }, stored_at: { type: 'string', format: 'date-time' } } } } } }),
          },
          ...problems([...STORE]),
        },
      },
    },
    '/v1/cap-profile/history/{seq}': {
      get: {
        operationId: 'getCapProfileUpdate',
        summary: 'One accepted CAP Profile update as submitted: the JWS (general JSON serialization) whose payload is the signed profile body, policies included',
        parameters: [{ name: 'seq', in: 'path', required: true, schema: { type: 'string' }, description: 'the `seq` of `GET /v1/cap-profile/history`' }],
        responses: {
          '200': {
            description: 'the update',
            ...json({ type: 'object', required: ['seq', 'doc_id', 'stored_at', 'jws'], properties: { seq: { type: 'integer', minimum: 1 }, doc_id: { type: 'string' }, stored_at: { type: 'string', format: 'date-time' }, jws: { type: 'object', required: ['payload', 'signatures'], properties: { payload: { type: 'string' }, signatures: { type: 'array', items: { type: 'object' } } } } } }),
          },
          ...problems([...STORE, 'INVALID_INPUT', 'NOT_FOUND'], { INVALID_INPUT: '`seq` is not a positive whole number' }),
        },
      },
    },
    '/v1/cap-profile/policies': {
      get: {
        operationId: 'getCapProfilePolicies',
        summary: 'The serving policy set\'s Cedar text, read from the same live set as its cedar_policy_hash',
        description: 'JSON by default; with `Accept: text/plain` the bare Cedar text, its facts in the `Kee-Cap-Profile-Id` (URI-encoded), `Kee-Cap-Profile-Version` and `Kee-Cedar-Policy-Hash` headers. 503 `UNAVAILABLE` if the serving engine keeps no text.',
        responses: {
          '200': {
            description: 'the active policy text',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['cap_profile_id', 'version', 'cap_profile_hash', 'cedar_policy_hash', 'policy_ids', 'policies', 'schema'],
                  properties: {
                    cap_profile_id: { type: 'string' },
                    version: { type: 'integer', minimum: 0 },
                    cap_profile_hash: { oneOf: [hex(32), { type: 'null' }] },
                    cedar_policy_hash: hex(32),
                    policy_ids: { type: 'array', items: { type: 'string' } },
                    policies: { type: 'string', description: 'Cedar policy text, exactly as loaded (signed profiles: the signed `policies`)' },
                    schema: { type: ['string', 'null'], description: 'Cedar schema the set was validated against, if any' },
                    links: { type: 'array', items: { type: 'object' }, description: 'template links, if any' },
                  },
                },
              },
              'text/plain': { schema: { type: 'string' } },
            },
          },
          ...problems([...STARTED, 'UNAVAILABLE'], { UNAVAILABLE: 'the serving engine keeps no policy text' }),
        },
      },
    },
    '/v1/ptd/controls/{control_id}': {
      get: {
        operationId: 'getPtdControl',
        summary: 'Policy transparency: the serving policies implementing a CAP-RRS control (`@cap_rrs_control_id`), each with its Cedar text, tier and `@authority_source_uri` (statute → control → policy → decision); public',
        parameters: [{ name: 'control_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 }, description: 'e.g. `disaster-response:auto-gold-needs-human` (the `cap_rrs_control_id` of a decision record)' }],
        responses: {
          '200': {
            description: 'the control\'s policies; the top-level `cedar_policy_id`, `tier`, `authority_source_uri` and `cedar_policy` are the first of `policies` (by policy id)',
            ...json({
              type: 'object',
              required: ['control_id', 'cap_profile_id', 'cap_profile_version', 'cap_profile_hash', 'cedar_policy_hash', 'cedar_policy_id', 'tier', 'authority_source_uri', 'cedar_policy', 'policies'],
              properties: {
                control_id: { type: 'string' },
                cap_profile_id: { type: 'string' },
                cap_profile_version: { type: 'integer' },
                cap_profile_hash: { oneOf: [hex(32), { type: 'null' }] },
                cedar_policy_hash: hex(32),
                cedar_policy_id: { type: 'string' },
                tier: { type: ['string', 'null'] },
                authority_source_uri: { type: ['string', 'null'] },
                cedar_policy: { type: 'string', description: 'the policy\'s Cedar text as loaded, annotations included' },
                policies: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['cedar_policy_id', 'tier', 'authority_source_uri', 'cedar_policy'],
                    properties: { cedar_policy_id: { type: 'string' }, tier: { type: ['string', 'null'] }, authority_source_uri: { type: ['string', 'null'] }, cedar_policy: { type: 'string' } },
                  },
                },
              },
            }),
          },
          ...problems([...STARTED, 'INVALID_INPUT', 'CONTROL_NOT_FOUND'], { INVALID_INPUT: '`control_id` longer than 256 characters' }),
        },
      },
    },
    '/v1/audit/blocks/{block_id}': {
      get: {
        operationId: 'getBlock',
        summary: 'A Session Block header, re-verified with its records before it is served',
        parameters: [blockId],
        responses: {
          '200': {
            description: 'block, with `log_index`: its leaf index in the block log',
            ...json({ allOf: [{ $ref: '#/components/schemas/SessionBlock' }], required: ['log_index'], properties: { log_index: { type: ['integer', 'null'], minimum: 0 } } }),
            links: { package: { operationId: 'getAuditPackage', parameters: { block_id: '$request.path.block_id' } } },
          },
          ...problems([...STORE, 'BLOCK_NOT_FOUND', 'AUDIT_TAMPERED']),
        },
      },
    },
    '/v1/audit/blocks/{block_id}/package': {
      get: {
        operationId: 'getAuditPackage',
        summary: 'Audit package: block, records, one inclusion proof per record, public key; check with `kee audit verify <file>`',
        parameters: [
          blockId,
          {
            name: 'format',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['json', 'ndjson'], default: 'json' },
            description: '`json`: one `application/json` document; `ndjson`: `application/x-ndjson`, a header line then one line per record, for streaming verification of large blocks',
          },
        ],
        responses: {
          '200': {
            description: 'audit package',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/AuditPackage' } },
              'application/x-ndjson': {
                schema: { type: 'string', description: 'first line `{"format":"kee-audit-package-stream/1","block":…,"public_key":…}`, then one `{"leaf_index","record","inclusion_proof"}` line per record' },
              },
            },
          },
          ...problems([...QUERY, ...STORE, 'BLOCK_NOT_FOUND', 'AUDIT_TAMPERED'], { INVALID_INPUT: '`format` is neither `json` nor `ndjson`, or given more than once' }),
        },
      },
    },
    '/v1/audit/checkpoint': {
      get: {
        operationId: 'getCheckpoint',
        summary: 'Signed checkpoint of the block log (one RFC 9162 leaf per Session Block header), as a C2SP tlog-checkpoint signed note; JSON with `Accept: application/json`',
        description:
          'Before signing, the kernel proves the log consistent (RFC 9162) with the last checkpoint it signed, which it keeps in its store; a log that does not extend it is refused with 409 `AUDIT_TAMPERED` and a `BLOCK_LOG_INCONSISTENT` anomaly record, and nothing is signed. 503 `MANIFEST_INTEGRITY_FAILURE` while nothing may be signed.',
        responses: {
          '200': {
            description: 'checkpoint',
            content: {
              'text/plain': { schema: { type: 'string', description: 'origin\\nsize\\nbase64 root\\n\\n— <origin> base64(key id || Ed25519 signature)\\n' } },
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['origin', 'size', 'root', 'note'],
                  properties: { origin: { type: 'string' }, size: { type: 'integer', minimum: 0 }, root: { type: 'string', description: 'base64' }, root_hex: { ...hex(32), description: 'the same root in hex, as in proofs' }, note: { type: 'string' } },
                },
              },
            },
          },
          ...problems([...STARTED, ...STORE, ...SIGNING, 'AUDIT_TAMPERED'], { AUDIT_TAMPERED: 'the stored block log has gaps, or does not extend the last checkpoint the kernel signed (`BLOCK_LOG_INCONSISTENT`)' }),
        },
      },
    },
    '/v1/audit/proofs/consistency': {
      get: {
        operationId: 'getConsistencyProof',
        summary: 'RFC 9162 consistency proof between two sizes of the block log',
        parameters: [
          { name: 'from', in: 'query', required: true, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, description: 'the older size; at most `to`' },
          { name: 'to', in: 'query', required: true, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, description: 'the newer size; at most the current block log size' },
        ],
        responses: {
          '200': {
            description: 'proof (hashes in lowercase hex)',
            ...json({
              type: 'object',
              required: ['from', 'to', 'from_root', 'to_root', 'proof'],
              properties: { from: { type: 'integer' }, to: { type: 'integer' }, from_root: hex(32), to_root: hex(32), proof: { type: 'array', items: hex(32) } },
            }),
          },
          ...problems([...QUERY, ...STORE, 'AUDIT_TAMPERED'], {
            INVALID_INPUT: '`from` or `to` missing, not a non-negative integer, given more than once, `from` > `to`, or `to` past the block log size',
            AUDIT_TAMPERED: 'the stored block log has gaps',
          }),
        },
      },
    },
    '/v1/audit/proofs/inclusion': {
      get: {
        operationId: 'getInclusionProof',
        summary: 'RFC 9162 inclusion proof of one block-log leaf (a Session Block) in the tree of `size` leaves, with the root at that size; check with `kee audit verify-checkpoint`',
        parameters: [
          { name: 'index', in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description: 'the leaf index (`log_index`); give exactly one of `index` and `block_id`' },
          { name: 'block_id', in: 'query', required: false, schema: hex(16) },
          { name: 'size', in: 'query', required: false, schema: { type: 'integer', minimum: 1 }, description: 'tree size, e.g. a checkpoint\'s; default: the whole log' },
        ],
        responses: {
          '200': {
            description: 'proof (hashes in lowercase hex); leaf_hash = SHA-256(0x00 || JCS(Session Block))',
            ...json({
              type: 'object',
              required: ['leaf_index', 'tree_size', 'block_id', 'leaf_hash', 'root', 'audit_path'],
              properties: { leaf_index: { type: 'integer' }, tree_size: { type: 'integer' }, block_id: hex(16), leaf_hash: hex(32), root: hex(32), audit_path: { type: 'array', items: hex(32) } },
            }),
          },
          ...problems([...QUERY, ...STARTED, ...STORE, 'BLOCK_NOT_FOUND', 'NOT_FOUND'], {
            INVALID_INPUT: 'both or neither of `index` and `block_id`, `index` not below `size`, or `size` beyond the log',
            BLOCK_NOT_FOUND: 'no block in the log has this `block_id`',
            NOT_FOUND: '`index` is past the end of the log',
          }),
        },
      },
    },
    '/v1/audit/log/entries/{index}': {
      get: {
        operationId: 'getLogEntry',
        summary: 'The block-log entry at `index`: its leaf hash and the Session Block it commits to, re-verified (409 AUDIT_TAMPERED if the block fails or no longer hashes to its leaf)',
        parameters: [{ name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
        responses: {
          '200': {
            description: 'entry',
            ...json({
              type: 'object',
              required: ['index', 'leaf_hash', 'block_id', 'block'],
              properties: { index: { type: 'integer' }, leaf_hash: hex(32), block_id: hex(16), block: { $ref: '#/components/schemas/SessionBlock' } },
            }),
          },
          ...problems([...QUERY, ...STARTED, ...STORE, 'NOT_FOUND', 'AUDIT_TAMPERED'], {
            NOT_FOUND: '`index` is past the end of the log',
            AUDIT_TAMPERED: 'the block fails verification or no longer hashes to its leaf',
          }),
        },
      },
    },
    '/v1/audit/journal': {
      get: {
        operationId: 'getJournal',
        summary: 'The kernel journal\'s blocks (journal_seq, session, block id, predecessor) from `from`, up to 1,000, and where the journal stands: its open block, or the block it continues in; verify the packages with `kee audit verify-journal`',
        parameters: [{ name: 'from', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, description: 'the first journal_seq listed; default 1' }],
        responses: {
          '200': {
            description: 'journal index',
            links: {
              firstBlock: { operationId: 'getBlock', parameters: { block_id: '$response.body#/blocks/0/block_id' }, description: 'the first journal block listed' },
              firstPackage: { operationId: 'getAuditPackage', parameters: { block_id: '$response.body#/blocks/0/block_id' }, description: 'its audit package (verify a run of them with `kee audit verify-journal`)' },
            },
            ...json({
              type: 'object',
              required: ['open', 'next_block_id', 'last_journal_seq', 'blocks'],
              properties: {
                open: { oneOf: [{ type: 'null' }, { type: 'object', required: ['journal_seq', 'session_id', 'block_id'], properties: { journal_seq: { type: 'integer' }, session_id: { type: 'string' }, block_id: hex(16) } }] },
                next_block_id: { oneOf: [{ type: 'null' }, hex(16)], description: 'the block id the last sealed block names, when that is not the open block (claimed, or still being sealed); null when it is `open`' },
                last_journal_seq: { type: 'integer', description: 'the last sealed journal block (its signed block stored; a block still being sealed is not counted), before the open one (0: none)' },
                blocks: {
                  type: 'array',
                  description: 'journal blocks up to `last_journal_seq`: sealed only, each with a package to fetch',
                  items: {
                    type: 'object',
                    required: ['journal_seq', 'session_id', 'block_id', 'prev_journal_block_id'],
                    properties: { journal_seq: { type: 'integer' }, session_id: { type: 'string' }, block_id: hex(16), prev_journal_block_id: { oneOf: [{ type: 'null' }, hex(16)] } },
                  },
                },
              },
            }),
          },
          ...problems([...QUERY, ...STORE], { INVALID_INPUT: '`from` is not a non-negative integer, or given more than once' }),
        },
      },
    },
  },
  components: {
    responses: { MethodNotAllowed: METHOD_NOT_ALLOWED_RESPONSE },
    securitySchemes: {
      ...ACD_SECURITY_SCHEME,
      operatorBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An operator token verified against KEE_OPERATOR_JWKS, roles in its `roles` claim (docs/identity.md)' },
      dpop: {
        type: 'http',
        scheme: 'DPoP',
        bearerFormat: 'JWT',
        description:
          'KEE_AUTH=agents: `Authorization: DPoP <session_token>` (the token `POST /v1/sessions` answers for a verified `client_assertion`) and a `DPoP` header: an RFC 9449 proof JWT (`typ` `dpop+jwt`, EdDSA, the agent\'s public `jwk` in its header) with `htm`, `htu`, `iat` (within 60 s), a fresh `jti` and `ath` = base64url SHA-256 of the session token (docs/identity.md "Agent authentication")',
      },
    },
    schemas: {
      Agent: {
        type: 'object',
        required: ['agent_id', 'xpid', 'xpid_derivation_version', 'status', 'registry_entry_hash', 'entry', 'registered_by', 'updated_at'],
        properties: {
          agent_id: { type: 'string' },
          xpid: { type: 'string', format: 'uuid', description: 'UUIDv5 (KIA namespace of `xpid_derivation_version`) of `<kernel key id>:<registry_entry_hash>`' },
          xpid_derivation_version: { type: 'string' },
          status: { enum: ['ACTIVE', 'SUSPENDED', 'REVOKED'] },
          registry_entry_hash: { ...hex(32), description: 'SHA-256 of the RFC 8785 JCS of `entry`' },
          entry: {
            type: 'object',
            description: 'the Party Registry entry, exactly the members hashed into `registry_entry_hash`',
            required: ['registry_entry_version', 'agent_id', 'display_name', 'roles', 'attributes', 'parents', 'public_keys', 'registered_at'],
            properties: {
              registry_entry_version: { const: 1 },
              agent_id: { type: 'string' },
              display_name: { type: ['string', 'null'] },
              roles: { type: 'array', items: { type: 'string' }, description: 'sorted, without duplicates' },
              attributes: { type: 'object', additionalProperties: true },
              parents: { type: 'array', items: entity, description: 'sorted by type, then id' },
              public_keys: {
                type: 'array',
                items: { type: 'object', required: ['kty', 'crv', 'x', 'kid'], properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, x: base64url, kid: { ...base64url, description: 'RFC 7638 thumbprint' } } },
              },
              registered_at: { type: 'string', format: 'date-time' },
            },
          },
          registered_by: { type: 'string', description: 'the `sub` of the operator token that registered it' },
          updated_at: { type: 'string', format: 'date-time' },
        },
      },
      Problem: {
        type: 'object',
        description: 'RFC 9457 problem details; `code` is stable, `detail` is one human sentence (never a stack trace)',
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
          revocation: {
            type: 'object',
            description: 'P8, on a federated kernel only (SSF transmitters configured, or streams): whether revocation status is confirmable (every SSF stream from a configured transmitter heard from within its bound), outgoing stream count, incoming streams',
            properties: { status_confirmable: { type: 'boolean' }, reason: { type: 'string' }, streams_out: { type: 'integer' }, streams_in: { type: 'array', items: { type: 'object' } } },
          },
          conformance: {
            type: 'object',
            description: 'The KEE-1 level of the manifest in force, computed from what runs, and each requirement it misses with the reason (docs/attestation.md); the kernel\'s own P3 (`p3_acd_four_check`) and P8 (`p8_revocation`) requirements as they stand now (an unmet one holds the level at KEE1-L1); absent before the first manifest',
            required: ['level', 'unmet'],
            properties: { level: { enum: ['KEE1-L1', 'KEE1-L2', 'KEE1-L3'] }, unmet: { $ref: '#/components/schemas/UnmetRequirements' } },
          },
          warnings: { type: 'array', items: { type: 'string' }, description: 'workerd only, when present: configuration the Worker lacks or ignores (e.g. no KEE_SIGNING_KEY: an ephemeral kernel key)' },
          cluster: {
            type: 'object',
            description: 'Only with a policy cluster (`KEE_CLUSTER_ETCD`): the node state (digest 4.5) and what it rests on',
            required: ['state', 'reason', 'serving_version', 'committed_version', 'split_brain'],
            properties: {
              state: { enum: ['SERVING', 'SYNCING', 'DENY_ALL'] },
              reason: { enum: ['NO_MAJORITY', 'LEADER_HEARTBEAT_TIMEOUT', 'STALE_POLICY_WINDOW', 'COMMITTED_UPDATE_REFUSED', 'AHEAD_OF_CLUSTER', null] },
              detail: { type: ['string', 'null'] },
              serving_version: { type: 'integer' },
              committed_version: { type: ['integer', 'null'] },
              split_brain: { type: 'boolean' },
              members: { type: 'integer' },
              reachable: { type: 'integer' },
              leader: { type: 'boolean' },
              last_quorum_read_at: { type: ['string', 'null'] },
            },
          },
        },
      },
      JwkSet: {
        type: 'object',
        required: ['keys'],
        properties: {
          keys: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kty', 'crv', 'x', 'kid', 'use', 'alg'],
              properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, x: base64url, kid: base64url, use: { const: 'sig' }, alg: { const: 'EdDSA' } },
            },
          },
        },
      },
      CredentialToken: {
        type: 'object',
        required: ['token'],
        additionalProperties: false,
        properties: { token: { type: 'string', minLength: 1, maxLength: 8192 }, token_type_hint: { type: 'string', maxLength: 64 } },
      },
      ...REVOCATION_SCHEMAS,
      RevocationFeed: {
        type: 'object',
        required: ['sequence', 'generated_at', 'revocations'],
        properties: {
          sequence: { type: 'integer', minimum: 0, description: 'the highest revocation sequence the kernel holds' },
          generated_at: { type: 'string', format: 'date-time', description: 'kernel clock at this answer: a verifier refuses credentials while its last feed is older than its bound' },
          revocations: { type: 'array', items: { $ref: '#/components/schemas/RevocationEntry' } },
          next_since: { type: 'integer', description: 'present when more entries follow: ask again with `since` = this' },
        },
      },
      PublicKey: { type: 'object', properties: { algorithm: { const: 'Ed25519' }, key_id: hex(32), public_key: hex(32) } },
      ToolResult: {
        type: 'object',
        additionalProperties: false,
        required: ['decision_seq', 'tool', 'arguments_digest', 'outcome', 'result_digest'],
        properties: {
          decision_seq: { type: 'integer', minimum: 1, description: 'the `ale_seq` of the CEDAR_PERMIT the call followed' },
          tool: { type: 'string', minLength: 1, maxLength: 512, description: 'the id of the `Tool` resource of that decision (`<server>/<tool>`)' },
          arguments_digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the JCS form of the arguments forwarded' },
          outcome: { enum: ['ok', 'tool_error', 'failed'], description: '`tool_error`: the tool answered an error; `failed`: no valid answer' },
          result_digest: { type: ['string', 'null'], pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the JCS form of the answer; null when `failed`' },
          failure: { type: 'string', maxLength: 512, description: 'why, when `failed`' },
          arguments: { description: 'the arguments themselves, when the enforcement point records bodies (at most 64 KiB of JCS)' },
          result: { description: 'the answer itself, when the enforcement point records bodies (at most 64 KiB of JCS)' },
          bodies_omitted: { type: 'array', maxItems: 2, items: { enum: ['arguments', 'result'] }, description: 'bodies asked for but left out for their size' },
        },
      },
      Decision: {
        type: 'object',
        required: ['decision', 'ale_seq', 'policy_ids', 'cedar_policy_hash'],
        properties: {
          decision: { enum: ['PERMIT', 'DENY'] },
          ale_seq: { type: 'integer', minimum: 1 },
          policy_ids: { type: 'array', items: { type: 'string' } },
          cedar_policy_hash: hex(32),
          reasons: { type: 'array', items: { type: 'string' }, description: 'why a DENY was forced (engine error, kernel state)' },
          escalation: {
            type: 'object',
            required: ['hem_id', 'hem_class', 'status', 'expires_at'],
            description: 'a DENY determined by a forbid policy annotated `@hem("<class>")`: the human escalation it opened (or, on a retry naming `hem_id`, that escalation); retry with `hem_id` once an approver has answered (docs/hem.md)',
            properties: { hem_id: { type: 'string' }, hem_class: { type: 'string' }, status: { enum: ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'] }, expires_at: { type: 'string', format: 'date-time' } },
          },
          credential: {
            type: 'string',
            pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
            description:
              'PERMIT only: the intent-bound credential, a compact JWS (EdDSA, `typ` `kee-credential+jwt`, `kid` of `/.well-known/jwks.json`) with claims `iss`, `sub` (agent XPID), `aud` (when `audience` was given), `iat`, `nbf` = `iat`, `exp` = `iat` + 60, `jti`, `intent` (hex BLAKE2b-256 of the JCS of `{principal, action, resource, context}`), `ale_seq`, `block_id`, `cedar_policy_hash`, `cap_profile_hash`. Never on a DENY (docs/credentials.md)',
          },
        },
      },
      AuthorizeRequest: {
        type: 'object',
        required: ['principal', 'action', 'resource'],
        additionalProperties: false,
        description: BODY_LIMIT,
        properties: {
          principal: entity,
          action: entity,
          resource: entity,
          context: { type: 'object', additionalProperties: true },
          entities: {
            type: 'array',
            items: cedarEntity,
            maxItems: MAX_ENTITIES,
            uniqueItems: true,
            description: 'The entities the policies read (`in` hierarchy, attributes); each uid at most once. The hierarchy (parent links among these entities) must have no cycle, be at most 32 links deep and have at most 5,000 (entity, ancestor) pairs, else 400 `INVALID_INPUT`. The audit record commits to them through `subject_digest`',
          },
          audience: { type: 'string', minLength: 1, maxLength: 512, description: 'the resource provider a PERMIT\'s credential is for: its `aud` claim (absent: no `aud`). Not part of the Cedar request nor of the intent' },
          hem_id: {
            type: 'string',
            minLength: 1,
            maxLength: 128,
            description: 'a retry of a DENY that opened a human escalation (its `escalation.hem_id`): the kernel puts the escalation\'s facts `{id, class, resolution, approver}` into `context.hem` from its own records; the escalation must be of this session, agent, principal, action and resource (else 409 `HEM_MISMATCH`). Whatever the request itself sends as `context.hem` or `context.human_approval` is discarded (docs/hem.md)',
          },
        },
      },
      Escalation: {
        type: 'object',
        required: ['hem_id', 'hem_class', 'status', 'created_at', 'expires_at', 'session_id', 'agent_id', 'principal', 'action', 'resource', 'cedar_policy_id', 'ale_seq', 'resolution'],
        properties: {
          hem_id: { type: 'string' },
          hem_class: { type: 'string', description: 'the `@hem` annotation of the determining forbid policy, e.g. `HEM-HIGH-1`' },
          status: { enum: ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'] },
          created_at: { type: 'string', format: 'date-time' },
          expires_at: { type: 'string', format: 'date-time', description: 'PENDING past this time resolves as `TIMEOUT_DENY` (KEE_HEM_TIMEOUT_S)' },
          session_id: { type: 'string', format: 'uuid' },
          block_id: hex(16),
          agent_id: { type: 'string' },
          principal: entity,
          action: entity,
          resource: entity,
          cedar_policy_id: { type: 'string' },
          ale_seq: { type: 'integer', description: 'the CEDAR_DENY record that opened it' },
          resolution: {
            type: ['object', 'null'],
            properties: { approver: { type: ['string', 'null'], description: 'the approver token\'s `sub` (null on TIMEOUT_DENY)' }, resolved_at: { type: 'string', format: 'date-time' }, comment: { type: ['string', 'null'] } },
          },
        },
      },
      AuthorizeBatch: {
        type: 'object',
        required: ['requests'],
        additionalProperties: false,
        properties: { requests: { type: 'array', minItems: 1, maxItems: 100, items: { $ref: '#/components/schemas/AuthorizeRequest' } } },
      },
      OneShotDecision: {
        description: 'A Decision plus the kernel-managed session and block its record is in (the package is served once that block is closed)',
        allOf: [
          { $ref: '#/components/schemas/Decision' },
          { type: 'object', required: ['session_id', 'block_id'], properties: { session_id: { type: 'string', format: 'uuid' }, block_id: hex(16) } },
        ],
      },
      SessionBlock: {
        type: 'object',
        description: 'GET /v1/audit/blocks/{block_id} and the close answer add `log_index`, the block\'s leaf index in the block log (not signed, not in the leaf)',
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
            properties: {
              algorithm: { const: 'Ed25519' },
              key_id: hex(32),
              public_key: hex(32),
              signature: hex(64),
              participants: {
                type: 'array',
                items: { type: 'integer', minimum: 1 },
                description: 'FROST only: the t participants whose shares the signature aggregates, ascending (not in the signing input; committed to by the block-log leaf, SHA-256 of the whole block)',
              },
            },
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
      UnmetRequirements: {
        type: 'array',
        description: 'requirements of KEE1-L2 (or below) the deployment does not meet, each with its reason (`gar_store_postgresql`, `signer_sidecars`, `tee_attestation`, `p3_acd_four_check`, `p8_revocation`, …)',
        items: { type: 'object', required: ['requirement', 'level', 'reason'], properties: { requirement: { type: 'string' }, level: { enum: ['KEE1-L1', 'KEE1-L2', 'KEE1-L3'] }, reason: { type: 'string' } } },
      },
      GecManifest: {
        type: 'object',
        description:
          'Hash-lock = SHA-256 over the RFC 8785 JCS of the manifest without `manifest_signature`; `manifest_signature.signature` is Ed25519 over that JCS text by `signing_config.public_key`. A new epoch (new `manifest_id`) is issued at each start and policy activation, once half the ACD staleness window has passed, and when the P3 / P8 requirements change; `previous_manifest_hash` is the previous epoch\'s hash-lock.',
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
          conformance_level: { enum: ['KEE1-L1', 'KEE1-L2', 'KEE1-L3'], description: 'computed from what runs: KEE1-L2 only with a PostgreSQL GAR store and signer sidecars whose TEE evidence verified in this epoch' },
          conformance_unmet: { $ref: '#/components/schemas/UnmetRequirements' },
          tee_attestation: {
            type: 'array',
            description: 'one entry per signer sidecar, fresh for this epoch (docs/attestation.md)',
            items: {
              type: 'object',
              required: ['participant', 'provider', 'nonce', 'status', 'chain'],
              properties: {
                participant: { type: 'integer', minimum: 1 },
                provider: { enum: ['configfs-tsm', 'none', 'unreachable'] },
                tsm_provider: { type: 'string', description: 'configfs-tsm `provider`: `sev_guest`, `tdx_guest`' },
                nonce: hex(32),
                identity_key: hex(32),
                evidence: { type: 'string', contentEncoding: 'base64', description: 'the raw SEV-SNP report or TDX quote' },
                status: { enum: ['verified', 'no_evidence', 'failed'] },
                chain: { enum: ['verified', 'not_checked'] },
                chain_subjects: { type: 'array', items: { type: 'string' } },
                reason: { type: 'string' },
                report: { type: 'object', description: 'fields extracted: `kind` (`sev-snp`: measurement, policy, TCB…; `tdx`: mr_td, rtmr, td_attributes, tee_tcb_svn…) and report_data' },
              },
            },
          },
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
          conformance_exceptions: { type: 'array', items: { type: 'string' }, description: 'present only when a development switch (KEE_ALLOW_NONCONFORMANT=1) lets the deployment run what its level does not qualify for, e.g. a government CAP Profile below KEE1-L3: the deployment is non-conformant' },
          publisher_keys: { type: 'array', items: { type: 'object', properties: { key_id: hex(32), public_key: hex(32) } } },
          wasm_modules: { type: 'object', additionalProperties: hex(32), description: 'module file name -> SHA-256 of the loaded module' },
          token_keys: {
            type: 'array',
            description: 'the token keys that sign credentials (`/.well-known/jwks.json`); absent in manifests issued before credentials',
            items: { type: 'object', required: ['kid', 'public_key'], properties: { kid: base64url, public_key: hex(32) } },
          },
          xpid_derivation_version: { type: 'string' },
          agent_authentication: { enum: ['agents', 'none'], description: '`KEE_AUTH`: whether agents authenticate with their registered keys (`agents`) or any agent_id opens a session (`none`)' },
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
