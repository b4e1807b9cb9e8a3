/**
 * The OpenAPI paths and schemas of P8 revocation (`/v1/revocations`) and the SSF 1.0
 * transmitter / receiver endpoints (docs/revocation.md), spread into openapi.ts.
 */
import { JSON_BODY, problems, QUERY, STARTED, STORE } from './openapi-problems.ts';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const body = (schema: unknown) => ({ required: true, ...json(schema) });
const OPERATOR = [{ operatorBearer: [] }];
const OPERATOR_AUTH = ['UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE'] as const;
const streamIdQuery = (required: boolean) => ({ name: 'stream_id', in: 'query', required, schema: { type: 'string', minLength: 1, maxLength: 128 } });
const stream = { $ref: '#/components/schemas/SsfStream' };
const streamBody = body({
  type: 'object',
  properties: {
    stream_id: { type: 'string', description: 'PATCH / PUT: the stream to change' },
    delivery: { type: 'object', required: ['method'], properties: { method: { enum: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'] }, endpoint_url: { type: 'string', description: 'push: where SETs are POSTed' }, authorization_header: { type: 'string', description: 'push: sent as `Authorization` with each SET' } } },
    events_requested: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
  },
});
const statusAnswer = json({ type: 'object', required: ['stream_id', 'status'], properties: { stream_id: { type: 'string' }, status: { enum: ['enabled', 'paused', 'disabled'] }, reason: { type: 'string' } } });

export const REVOCATION_PATHS = {
  '/v1/revocations': {
    post: {
      operationId: 'addRevocation',
      summary: 'Add a revocation registry entry (role `operator`): recorded, stored, sent as a SET to every SSF receiver; idempotent per kind and id',
      description: 'A revoked `XPID` (or a `MANDATE_JTI` whose `subject` names the agent) DENIES new authorizations in that agent\'s sessions with the reason `XPID_REVOKED: …` / `MANDATE_REVOKED: …`.',
      security: OPERATOR,
      requestBody: body({
        type: 'object',
        required: ['kind', 'id'],
        additionalProperties: false,
        properties: {
          kind: { enum: ['MANDATE_JTI', 'XPID', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT'] },
          id: { type: 'string', minLength: 1, maxLength: 512 },
          reason: { type: 'string', maxLength: 1024 },
          exp: { type: 'integer', minimum: 0, description: 'a credential\'s exp (Unix seconds)' },
          subject: { type: 'object', additionalProperties: false, properties: { agent_id: { type: 'string' }, xpid: { type: 'string' } } },
          revocation_type: { enum: ['DIRECT', 'CASCADE'] },
          cascade_root: { type: 'string' },
        },
      }),
      responses: {
        '201': { description: 'the entry (the first one for this kind and id)', ...json({ $ref: '#/components/schemas/RevocationEntry' }) },
        ...problems([...JSON_BODY, ...STARTED, ...STORE, ...OPERATOR_AUTH, 'AUDIT_TAMPERED', 'CONFLICT'], { AUDIT_TAMPERED: 'the stored revocation log has a gap or a malformed entry', CONFLICT: 'other kernel instances kept taking the next sequence' }),
      },
    },
    get: {
      operationId: 'getRevocations',
      summary: 'The revocation feed resource providers and peers poll: registry entries after `since`, with the current sequence and time (alias: /v1/credentials/revocations)',
      parameters: [{ name: 'since', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }, description: 'the last sequence already seen' }],
      responses: {
        '200': { description: 'one page (at most 1,000 entries)', ...json({ $ref: '#/components/schemas/RevocationFeed' }) },
        ...problems([...QUERY, ...STARTED, ...STORE, 'AUDIT_TAMPERED'], { INVALID_INPUT: '`since` is not an integer from 0, or given more than once', AUDIT_TAMPERED: 'the stored revocation log has a gap or a malformed entry' }),
      },
    },
  },
  '/v1/revocations/events': {
    get: {
      operationId: 'getRevocationEvents',
      summary: 'The revocation events this kernel originated, newest first, with their completion state (roles `operator`, `auditor`; the console\'s Revocations page)',
      description: 'Every event still owed to a receiver and the latest 1,000 settled ones; after a restart, those the SSF outbox holds past its checkpoint (events settled before the previous start are not read again): each state is also a `REVOCATION_PROPAGATION` record of the kernel journal, the evidence. `PENDING` until every receiver acknowledged or the 30 s window passed.',
      security: OPERATOR,
      responses: {
        '200': { description: 'the events', headers: { 'Cache-Control': { schema: { const: 'no-store' } } }, ...json({ type: 'object', required: ['events'], properties: { events: { type: 'array', items: { $ref: '#/components/schemas/RevocationEvent' } } } }) },
        ...problems([...STARTED, ...OPERATOR_AUTH]),
      },
    },
  },
  '/.well-known/ssf-configuration': {
    get: {
      operationId: 'getSsfConfiguration',
      summary: 'SSF 1.0 transmitter configuration metadata (endpoints under the origin the request reached)',
      responses: { '200': { description: 'metadata', ...json({ type: 'object', required: ['spec_version', 'issuer', 'jwks_uri', 'delivery_methods_supported', 'configuration_endpoint'] }) } },
    },
  },
  '/ssf/streams': {
    post: { operationId: 'createSsfStream', summary: 'Create a stream (role `operator`)', security: OPERATOR, requestBody: streamBody, responses: { '201': { description: 'the stream configuration', ...json(stream) }, ...problems([...JSON_BODY, ...STORE, ...OPERATOR_AUTH]) } },
    get: {
      operationId: 'readSsfStreams',
      summary: 'One stream (`stream_id`) or all of them (role `operator`)',
      security: OPERATOR,
      parameters: [streamIdQuery(false)],
      responses: { '200': { description: 'the stream, or an array of streams', ...json({ oneOf: [stream, { type: 'array', items: stream }] }) }, ...problems([...QUERY, ...OPERATOR_AUTH, 'NOT_FOUND']) },
    },
    patch: { operationId: 'updateSsfStream', summary: 'Update a stream: the properties given (role `operator`)', security: OPERATOR, requestBody: streamBody, responses: { '200': { description: 'the stream', ...json(stream) }, ...problems([...JSON_BODY, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND']) } },
    put: { operationId: 'replaceSsfStream', summary: 'Replace a stream\'s receiver-supplied properties (role `operator`)', security: OPERATOR, requestBody: streamBody, responses: { '200': { description: 'the stream', ...json(stream) }, ...problems([...JSON_BODY, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND']) } },
    delete: { operationId: 'deleteSsfStream', summary: 'Delete a stream (role `operator`)', security: OPERATOR, parameters: [streamIdQuery(true)], responses: { '204': { description: 'deleted' }, ...problems([...QUERY, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND']) } },
  },
  '/ssf/status': {
    get: { operationId: 'getSsfStreamStatus', summary: 'A stream\'s status (role `operator`)', security: OPERATOR, parameters: [streamIdQuery(true)], responses: { '200': { description: 'status', ...statusAnswer }, ...problems([...QUERY, ...OPERATOR_AUTH, 'NOT_FOUND']) } },
    post: {
      operationId: 'setSsfStreamStatus',
      summary: 'Enable, pause or disable a stream (role `operator`)',
      security: OPERATOR,
      requestBody: body({ type: 'object', required: ['stream_id', 'status'], properties: { stream_id: { type: 'string' }, status: { enum: ['enabled', 'paused', 'disabled'] }, reason: { type: 'string' } } }),
      responses: { '200': { description: 'status', ...statusAnswer }, ...problems([...JSON_BODY, ...STORE, ...OPERATOR_AUTH, 'NOT_FOUND']) },
    },
  },
  '/ssf/verify': {
    post: {
      operationId: 'verifySsfStream',
      summary: 'Ask for a verification event on a stream (role `operator`): pushed now, or queued for the poll',
      security: OPERATOR,
      requestBody: body({ type: 'object', required: ['stream_id'], properties: { stream_id: { type: 'string' }, state: { type: 'string' } } }),
      responses: { '204': { description: 'sent or queued' }, ...problems([...JSON_BODY, ...OPERATOR_AUTH, 'NOT_FOUND', 'SIGNER_FAILED']) },
    },
  },
  '/ssf/poll/{stream_id}': {
    post: {
      operationId: 'pollSsfStream',
      summary: 'RFC 8936 poll delivery (role `operator`): acknowledges `ack`, answers up to `maxEvents` SETs (waits up to 10 s for one unless `returnImmediately`)',
      security: OPERATOR,
      parameters: [{ name: 'stream_id', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: body({ type: 'object', properties: { ack: { type: 'array', items: { type: 'string' } }, maxEvents: { type: 'integer', minimum: 0, maximum: 1000 }, returnImmediately: { type: 'boolean' }, setErrs: { type: 'object' } } }),
      responses: {
        '200': { description: 'SETs by jti', ...json({ type: 'object', required: ['sets', 'moreAvailable'], properties: { sets: { type: 'object', additionalProperties: { type: 'string' } }, moreAvailable: { type: 'boolean' } } }) },
        ...problems([...JSON_BODY, ...OPERATOR_AUTH, 'NOT_FOUND', 'CONFLICT'], { CONFLICT: 'the stream is a push stream' }),
      },
    },
  },
  '/ssf/push': {
    post: {
      operationId: 'receiveSet',
      summary: 'RFC 8935 push delivery to this kernel as SSF receiver: a SET from a configured transmitter (`KEE_SSF_TRANSMITTERS`), verified against its JWKS and applied to the registry before the 202',
      requestBody: { required: true, content: { 'application/secevent+jwt': { schema: { type: 'string' } } } },
      responses: {
        '202': { description: 'verified and applied' },
        ...problems([...JSON_BODY, ...STARTED, ...STORE, 'AUDIT_TAMPERED'], { INVALID_INPUT: 'the SET is not from a configured transmitter, does not verify against its JWKS, or is malformed: `facts.err` is the RFC 8935 §2.3 code (`invalid_request`, `invalid_issuer`, `invalid_key`)', MALFORMED_JSON: 'not answered: the body is a compact JWS', UNSUPPORTED_MEDIA_TYPE: 'the body is not `application/secevent+jwt`' }),
      },
    },
  },
};

export const REVOCATION_SCHEMAS = {
  RevocationEntry: {
    type: 'object',
    required: ['seq', 'kind', 'id', 'revoked_at', 'revocation_type', 'source'],
    properties: {
      seq: { type: 'integer', minimum: 1 },
      kind: { enum: ['MANDATE_JTI', 'XPID', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT'] },
      id: { type: 'string' },
      jti: { type: 'string', description: 'MANDATE_JTI only: the same as `id`' },
      revoked_at: { type: 'string', format: 'date-time' },
      exp: { type: 'integer', description: "a credential's own exp (Unix seconds)" },
      revocation_type: { enum: ['DIRECT', 'CASCADE'] },
      cascade_root: { type: 'string' },
      source: { enum: ['LOCAL', 'CAEP'] },
      originating_kernel: { type: 'string' },
      caep_received_at: { type: 'string', format: 'date-time' },
      event_id: { type: 'string', description: 'the revocation event (the SETs\' `txn`)' },
      subject: { type: 'object', properties: { agent_id: { type: 'string' }, xpid: { type: 'string' } } },
      reason: { type: 'string' },
      revoking_principal: { type: 'string' },
    },
  },
  RevocationEvent: {
    type: 'object',
    required: ['event_id', 'kind', 'id', 'state', 'started_at', 'after_retry', 'receivers'],
    properties: {
      event_id: { type: 'string', description: 'the registry entry\'s `event_id` (the SETs\' `txn`)' },
      kind: { enum: ['MANDATE_JTI', 'XPID', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT'] },
      id: { type: 'string' },
      state: { enum: ['PENDING', 'CLEAN', 'PARTIAL', 'UNKNOWN'] },
      started_at: { type: 'string', format: 'date-time' },
      after_retry: { type: 'boolean', description: 'CLEAN after having been PARTIAL' },
      receivers: {
        type: 'array',
        items: {
          type: 'object',
          required: ['stream_id', 'aud', 'method', 'acknowledged', 'acked_ms', 'attempts'],
          properties: { stream_id: { type: 'string' }, aud: { type: 'string' }, method: { type: 'string' }, acknowledged: { type: 'boolean' }, acked_ms: { type: ['integer', 'null'] }, attempts: { type: 'integer', minimum: 0, description: 'deliveries by this kernel process (0 after a restart until the next retry)' } },
        },
      },
    },
  },
  SsfStream: {
    type: 'object',
    required: ['stream_id', 'iss', 'aud', 'events_supported', 'events_requested', 'events_delivered', 'delivery'],
    properties: {
      stream_id: { type: 'string' },
      iss: { type: 'string' },
      aud: { type: 'string' },
      events_supported: { type: 'array', items: { type: 'string' } },
      events_requested: { type: 'array', items: { type: 'string' } },
      events_delivered: { type: 'array', items: { type: 'string' } },
      delivery: { type: 'object', required: ['method'], properties: { method: { type: 'string' }, endpoint_url: { type: 'string' }, authorization_header: { type: 'string' } } },
      min_verification_interval: { type: 'integer' },
      description: { type: 'string' },
    },
  },
};
