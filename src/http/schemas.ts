import { ed25519 } from '@noble/curves/ed25519.js';
// zod/mini with English messages (./zod.ts); a namespace import, so bundlers leave out what is unused
import * as z from './zod.ts';
import { RESERVED_AGENT_ATTRIBUTES } from '../kernel/agents/registry-entry.ts';
import { entityGraphProblem } from './entity-graph.ts';

const entity = z.strictObject({
  type: z.string().check(z.minLength(1), z.maxLength(256)),
  id: z.string().check(z.minLength(1), z.maxLength(1024)),
});

/** Most entities one authorization request may carry (the 64 KiB body limit bounds their size). */
export const MAX_ENTITIES = 1000;
/** Most direct parents of one entity. */
export const MAX_PARENTS = 100;

/** One entity in Cedar's entity JSON format (attribute values may use `__entity` / `__extn`). */
const cedarEntity = z.strictObject({
  uid: entity,
  attrs: z._default(z.record(z.string(), z.json()), {}),
  parents: z._default(z.array(entity).check(z.maxLength(MAX_PARENTS)), []),
});

const entities = z.array(cedarEntity).check(
  z.maxLength(MAX_ENTITIES),
  z.superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      const key = JSON.stringify([e.uid.type, e.uid.id]);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'uid'], message: `entity ${e.uid.type}::${JSON.stringify(e.uid.id)} appears twice` });
      seen.add(key);
    });
    if (list.length !== seen.size) return;
    const graph = entityGraphProblem(list);
    if (graph !== undefined) ctx.addIssue({ code: 'custom', path: [], message: graph });
  }),
);

/** `POST /v1/sessions` (an `xpid` is let through the schema to be refused as INVALID_XPID_CLAIM: `refuseXpidClaim`) */
export const openSessionBody = z.strictObject({
  agent_id: z.string().check(z.minLength(1), z.maxLength(256)),
  xpid: z.optional(z.json()),
  /** RFC 7523 style client assertion (KEE_AUTH=agents; ignored under `none`). */
  client_assertion: z.optional(z.string().check(z.minLength(1), z.maxLength(8192))),
  /** RFC 7523 §2.2: when given, the JWT bearer assertion type. */
  client_assertion_type: z.optional(z.literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')),
});

/**
 * One input of KEE §10 `derive_xpid`: non-empty, and without `|`, the separator the five inputs
 * are joined with (a `|` inside one would let two different input tuples name the same XPID).
 */
const xpidPart = z.string().check(
  z.minLength(1),
  z.maxLength(256),
  z.refine((s) => !s.includes('|'), { message: 'must not contain `|` (the separator of the derivation input)' }),
);

/** `POST /v1/xpid/derive` */
export const deriveXpidBody = z.strictObject({
  initiating_kia_id: xpidPart,
  responding_kia_id: xpidPart,
  /** ISO 8601 UTC (`Z`, no offset): the time the initiator received the responder's nonce. */
  initiated_at: z.iso.datetime({ offset: false, local: false }),
  initiating_nonce: xpidPart,
  responding_nonce: xpidPart,
});

/** `POST /v1/sessions/{session_id}/authorize` */
export const authorizeBody = z.strictObject({
  principal: entity,
  action: entity,
  resource: entity,
  context: z._default(z.record(z.string(), z.json()), {}),
  entities: z.optional(entities),
  /** The resource provider the PERMIT's credential is for (its `aud`). */
  audience: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  /** A retry of a DENY that opened a human escalation: the kernel puts that escalation's facts into `context.hem`. */
  hem_id: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

const toolDigest = z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'a `sha256:` digest (64 lowercase hex digits)'));

/** `POST /v1/sessions/{session_id}/tool-results` (the kernel checks the rest: `kernel/tool-results/`). */
export const toolResultBody = z.strictObject({
  decision_seq: z.number().check(z.int(), z.minimum(1)),
  tool: z.string().check(z.minLength(1), z.maxLength(512)),
  arguments_digest: toolDigest,
  outcome: z.enum(['ok', 'tool_error', 'failed']),
  result_digest: z.nullable(toolDigest),
  failure: z.optional(z.string().check(z.maxLength(512))),
  arguments: z.optional(z.json()),
  result: z.optional(z.json()),
  bodies_omitted: z.optional(z.array(z.enum(['arguments', 'result'])).check(z.maxLength(2))),
});

/** Largest tool-result body: two recorded bodies of 64 KiB (JCS) each, and room for their JSON escaping. */
export const MAX_TOOL_RESULT_BYTES = 512 * 1024;

/** `POST /v1/hem/escalations/{hem_id}/approve|reject` (the body is optional). */
export const hemAnswerBody = z.strictObject({
  comment: z.optional(z.string().check(z.maxLength(2048))),
});

export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const BLOCK_ID = /^[0-9a-f]{32}$/;

/** Most requests in one batch (`POST …/authorize/batch`). */
export const MAX_BATCH = 100;
/** Largest batch body: room for `MAX_BATCH` ordinary requests (a single request stays at 64 KiB). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** `POST /v1/sessions/{session_id}/authorize/batch`, `POST /v1/authorize/batch` */
export const authorizeBatchBody = z.strictObject({
  requests: z.array(authorizeBody).check(z.minLength(1), z.maxLength(MAX_BATCH)),
});

/** Most public keys one agent registers. */
export const MAX_AGENT_KEYS = 10;
/** Most roles one agent holds. */
export const MAX_AGENT_ROLES = 64;

/** base64url of 32 bytes without padding (the last character carries 4 bits and 2 zero bits). */
const ED25519_X = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function isEd25519Point(x: string): boolean {
  try {
    const bytes = Uint8Array.from(atob(x.replaceAll('-', '+').replaceAll('_', '/') + '='), (c) => c.charCodeAt(0));
    ed25519.Point.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}

/** An Ed25519 public key as a JWK (RFC 8037). A private key (`d`) is refused, never stored. */
const agentPublicKey = z
  .looseObject({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().check(z.regex(ED25519_X, 'must be the base64url (no padding) of a 32-byte ed25519 public key'), z.refine(isEd25519Point, 'is not an ed25519 curve point')),
    kid: z.optional(z.string().check(z.maxLength(256))),
    alg: z.optional(z.enum(['EdDSA', 'Ed25519'])),
    use: z.optional(z.literal('sig')),
    key_ops: z.optional(z.array(z.literal('verify'))),
  })
  .check(
    z.superRefine((k, ctx) => {
    if ('d' in k) ctx.addIssue({ code: 'custom', path: ['d'], message: 'is a private key: send the public key only' });
    const extra = Object.keys(k).filter((key) => !['kty', 'crv', 'x', 'kid', 'alg', 'use', 'key_ops', 'd'].includes(key));
    if (extra.length > 0) ctx.addIssue({ code: 'custom', path: [], message: `unrecognized key(s) ${extra.map((e) => `\`${e}\``).join(', ')}` });
    }),
  );

/** `POST /v1/agents` (an `xpid` is let through the schema to be refused as INVALID_XPID_CLAIM) */
export const registerAgentBody = z.strictObject({
  agent_id: z.string().check(z.minLength(1), z.maxLength(256)),
  display_name: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  roles: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(MAX_AGENT_ROLES))),
  attributes: z.optional(z.record(z.string(), z.json())).check(
    z.superRefine((a, ctx) => {
      for (const name of RESERVED_AGENT_ATTRIBUTES) if (a && name in a) ctx.addIssue({ code: 'custom', path: [name], message: `is set by the kernel (reserved: ${RESERVED_AGENT_ATTRIBUTES.join(', ')})` });
    }),
  ),
  parents: z.optional(z.array(entity).check(z.maxLength(MAX_PARENTS))),
  public_keys: z.array(agentPublicKey).check(
    z.minLength(1),
    z.maxLength(MAX_AGENT_KEYS),
    z.superRefine((keys, ctx) => {
      if (new Set(keys.map((k) => k.x)).size !== keys.length) ctx.addIssue({ code: 'custom', path: [], message: 'lists the same key twice' });
    }),
  ),
  xpid: z.optional(z.json()),
});

/** `PATCH /v1/agents/{agent_id}` */
export const agentStatusBody = z.strictObject({
  status: z.enum(['ACTIVE', 'SUSPENDED']),
});

/** `POST /v1/credentials/introspect` (RFC 7662) and `POST /v1/credentials/revoke` (RFC 7009), as JSON. */
export const credentialTokenBody = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(8192)),
  token_type_hint: z.optional(z.string().check(z.maxLength(64))),
});

/** `POST /v1/revocations` (operator): one revocation registry entry (docs/revocation.md). */
export const revocationBody = z.strictObject({
  kind: z.enum(['MANDATE_JTI', 'XPID', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT']),
  id: z.string().check(z.minLength(1), z.maxLength(512)),
  reason: z.optional(z.string().check(z.maxLength(1024))),
  /** A credential's `exp` (Unix seconds): verifiers forget the entry an hour after it. */
  exp: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
  subject: z.optional(z.strictObject({ agent_id: z.optional(z.string().check(z.minLength(1), z.maxLength(256))), xpid: z.optional(z.string().check(z.minLength(1), z.maxLength(256))) })),
  revocation_type: z.optional(z.enum(['DIRECT', 'CASCADE'])),
  cascade_root: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** SSF 1.0 stream configuration as a receiver sends it (Receiver-Supplied properties; the others are ignored). */
export const ssfStreamBody = z.object({
  stream_id: z.optional(z.string().check(z.maxLength(128))),
  delivery: z.optional(z.object({ method: z.string().check(z.maxLength(256)), endpoint_url: z.optional(z.string().check(z.maxLength(2048))), authorization_header: z.optional(z.string().check(z.maxLength(4096))) })),
  events_requested: z.optional(z.array(z.string().check(z.maxLength(512))).check(z.maxLength(32))),
  description: z.optional(z.string().check(z.maxLength(1024))),
});

/** SSF 1.0 §8.1.2.2 stream status update. */
export const ssfStatusBody = z.object({
  stream_id: z.string().check(z.minLength(1), z.maxLength(128)),
  status: z.enum(['enabled', 'paused', 'disabled']),
  reason: z.optional(z.string().check(z.maxLength(1024))),
});

/** SSF 1.0 §8.1.4.2 verification request. */
export const ssfVerifyBody = z.object({
  stream_id: z.string().check(z.minLength(1), z.maxLength(128)),
  state: z.optional(z.string().check(z.maxLength(1024))),
});

/** RFC 8936 §2.1 poll request. */
export const ssfPollBody = z.object({
  ack: z.optional(z.array(z.string().check(z.maxLength(256))).check(z.maxLength(10_000))),
  maxEvents: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(1000))),
  returnImmediately: z.optional(z.boolean()),
  setErrs: z.optional(z.record(z.string().check(z.maxLength(256)), z.object({ err: z.string().check(z.maxLength(256)), description: z.string().check(z.maxLength(2048)) }))),
});

/** `POST /v1/acd/{acd_session_id}/grant`: a resource provider's access decision on an ACD Record. */
export const acdGrantBody = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('GRANTED'), confirmation_basis: z.optional(z.enum(['NOTIFIED', 'INFERRED'])) }),
  z.strictObject({
    decision: z.literal('DENIED'),
    denial_reason: z.enum(['FOUR_CHECK_FAILED', 'LAYER_INSPECTION_FAILED', 'EXPIRED', 'XPID_MISMATCH']),
    failed_layer: z.optional(z.union([z.literal(1), z.literal(2), z.literal(3)])),
    failed_field: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  }),
]);
