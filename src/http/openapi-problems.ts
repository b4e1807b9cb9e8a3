/**
 * Error responses for the OpenAPI document, built from the one code → status table
 * (`STATUS` in errors.ts), so the document cannot give a code another status than the server.
 * Each path lists the codes its handler can answer; `problems(...)` groups them by status into
 * responses whose schema pins `status` and the `code` enum, so a contract test sees a code the
 * document does not name.
 *
 * @example
 * responses: { '200': ok, ...problems(...JSON_BODY, ...STORE, 'SESSION_NOT_FOUND') }
 */
import type { ErrorCode } from '../kernel/errors.ts';
import { STATUS } from './errors.ts';

/** Every route that reads or writes the audit store: it is unreachable (503, agent actions suspended). */
export const STORE = ['GAR_UNAVAILABLE'] as const satisfies readonly ErrorCode[];
/** Routes that wait for the kernel's start (and fail when it failed). */
export const STARTED = ['KERNEL_NOT_STARTED'] as const satisfies readonly ErrorCode[];
/** Routes that sign (block close, checkpoint, policy activation's manifest): signing is suspended or forbidden. */
export const SIGNING = ['SIGNER_FAILED', 'MANIFEST_INTEGRITY_FAILURE'] as const satisfies readonly ErrorCode[];
/** Every route with a JSON request body (`readJson`): not JSON, malformed, schema or rule broken, too large. */
export const JSON_BODY = ['INVALID_INPUT', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'REQUEST_TIMEOUT'] as const satisfies readonly ErrorCode[];
/** Every route with query parameters (`queryParam`): a bad value, or a parameter given more than once. */
export const QUERY = ['INVALID_INPUT'] as const satisfies readonly ErrorCode[];

/** What each code means wherever it is answered; a path adds its own specifics through `notes`. */
const MEANING: Partial<Record<ErrorCode, string>> = {
  INVALID_INPUT: 'the request breaks the schema or a rule stated in this operation (a number JSON would round, outside ±(2^53−1), is refused too)',
  MALFORMED_JSON: 'the body is not JSON: not UTF-8, not well-formed, or an object repeats a key',
  PAYLOAD_TOO_LARGE: 'the body is over the size limit',
  UNSUPPORTED_MEDIA_TYPE: 'the body is not `application/json`',
  NOT_ACCEPTABLE: 'the request\'s `Accept` admits none of the media types this operation answers',
  SESSION_NOT_FOUND: 'no session has this id',
  BLOCK_NOT_FOUND: 'no closed session block has this id',
  CONTROL_NOT_FOUND: 'no policy of the serving set implements this CAP-RRS control',
  SESSION_CLOSED: 'the session is closed',
  SESSION_EXPIRED: 'the session passed its maximum lifetime or idle timeout: the kernel closed it (SESSION_EXPIRED, signed block); open a new session',
  AUDIT_TAMPERED: 'stored audit data failed verification (an anomaly is recorded; nothing is served or signed over it)',
  CONFLICT: 'a concurrent change won; retry',
  GAR_UNAVAILABLE: 'the audit store is unreachable: agent actions are suspended',
  KERNEL_NOT_STARTED: 'the kernel has not started, or failed to start',
  SIGNER_FAILED: 'signing is suspended (signer quorum lost)',
  MANIFEST_INTEGRITY_FAILURE: 'the GEC Manifest failed re-verification: the kernel denies everything and signs nothing',
  UNAVAILABLE: 'the operation is not configured or cannot run now',
  METHOD_NOT_ALLOWED: 'the path is served under other methods, listed in `Allow`',
  RATE_LIMITED: 'too many requests of this kind: wait for `Retry-After` seconds',
  INVALID_XPID_CLAIM: 'the request supplies an `xpid`: XPIDs are derived by the kernel only (KIA §6.2)',
  UNAUTHENTICATED: 'operator routes: no bearer token, or one that does not verify (signature, key, algorithm, issuer, audience, expiry), with `WWW-Authenticate: Bearer`; agent routes: the agent does not authenticate (KEE_AUTH=agents), with `WWW-Authenticate: DPoP`',
  FORBIDDEN: 'operator routes: the bearer token verifies but carries none of the roles this operation needs; agent routes: the agent is suspended or revoked',
  HEM_MISMATCH: 'the `hem_id` names an escalation opened in another session, for another agent, or for another principal, action or resource',
  PARTY_REGISTRY_SIGNATURES_INSUFFICIENT: 'fewer than 2 of the configured publishers (KEE_PUBLISHER_KEYS) signed the exact payload, or the envelope is not a JWS JSON general serialization',
  PARTY_REGISTRY_MALFORMED: 'the signed payload is not the JCS form of a well-formed party registry, or a `kia_id` is not the SHA-256 of its `group_public_key`',
  PARTY_REGISTRY_ROLLBACK: 'the `version` is not above the stored registry\'s',
  PARTY_REGISTRY_KERNEL_MISSING: 'the registry does not list this kernel\'s KIA id with its group key',
  REQUEST_TIMEOUT: 'the body did not arrive within `KEE_HTTP_REQUEST_TIMEOUT_MS` (Node answers 408 and closes the connection itself)',
};

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The problem+json response for `codes` (all of one status). */
function response(status: number, codes: readonly ErrorCode[], notes: Partial<Record<ErrorCode, string>>) {
  const lines = codes.map((code) => {
    const text = [MEANING[code], notes[code]].filter(Boolean).join('; ');
    return `\`${code}\`${text ? `: ${text}` : ''}`;
  });
  return {
    description: lines.join('. '),
    ...(status === 503 || status === 429 ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', required: true, schema: { type: 'integer', minimum: 0 } } } } : {}),
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: { allOf: [{ $ref: '#/components/schemas/Problem' }], properties: { status: { const: status }, code: { enum: [...codes] } } },
      },
    },
  };
}

/**
 * The error responses of one operation: `codes` grouped by their status from `STATUS`, with
 * per-code `notes` (e.g. which rule an `INVALID_INPUT` stands for) added to the description.
 * Duplicates are dropped, so shared sets can be spread together.
 */
export function problems(codes: readonly ErrorCode[], notes: Partial<Record<ErrorCode, string>> = {}): Record<string, ReturnType<typeof response>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, ReturnType<typeof response>> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) out[String(status)] = response(status, list, notes);
  return out;
}

/** The 405 answered for a known path under a method it is not served with (see method-not-allowed.ts). */
export const METHOD_NOT_ALLOWED_RESPONSE = {
  ...response(405, ['METHOD_NOT_ALLOWED'], {}),
  headers: { Allow: { description: 'the methods the path is served with (`HEAD` wherever `GET` is)', required: true, schema: { type: 'string' } } },
};
