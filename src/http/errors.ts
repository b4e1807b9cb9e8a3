import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode } from '../kernel/errors.ts';

/** The only table from a domain error code to an HTTP status. */
export const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  INVALID_INPUT: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SESSION_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  CONTROL_NOT_FOUND: 404,
  SESSION_CLOSED: 409,
  SESSION_EXPIRED: 409,
  CONFLICT: 409,
  PROOF_INVALID: 422,
  AUDIT_TAMPERED: 409,
  GAR_UNAVAILABLE: 503,
  SIGNER_FAILED: 503,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_XPID_CLAIM: 400,
  MANIFEST_INTEGRITY_FAILURE: 503,
  KERNEL_NOT_STARTED: 503,
  RATE_LIMITED: 429,
  REQUEST_TIMEOUT: 408,
  INTERNAL: 500,
  HEM_MISMATCH: 409,
  // refused party registries: 409 when it contradicts the stored state or this kernel, else 422
  PARTY_REGISTRY_SIGNATURES_INSUFFICIENT: 422,
  PARTY_REGISTRY_MALFORMED: 422,
  PARTY_REGISTRY_ROLLBACK: 409,
  PARTY_REGISTRY_KERNEL_MISSING: 409,
  // refused CAP Profile updates: 409 when it contradicts the active state or itself, else 422
  CAP_SIGNATURES_INSUFFICIENT: 422,
  CAP_PROFILE_MALFORMED: 422,
  CAP_POLICY_INVALID: 422,
  CAP_ANNOTATION_INVALID: 422,
  CAP_POLICY_HASH_MISMATCH: 422,
  CAP_ROLLBACK: 409,
  CAP_CATALOG_VERSION_CONFLICT: 409,
  CAP_NOT_YET_EFFECTIVE: 409,
  CAP_CONFLICT: 409,
  CAP_AUTHORITY_SOURCE_MISSING: 422,
  CAP_AUTHORITY_SOURCE_UNOFFICIAL: 422,
  // a government profile on a deployment below KEE1-L3
  CAP_CONFORMANCE_LEVEL: 409,
};

const TITLES: Partial<Record<ErrorCode, string>> = {
  GAR_UNAVAILABLE: 'agent actions suspended',
  SIGNER_FAILED: 'signing unavailable',
  AUDIT_TAMPERED: 'audit data failed verification',
  CAP_SIGNATURES_INSUFFICIENT: 'cap profile refused: not signed by 2 of the 3 publishers',
  CAP_ROLLBACK: 'cap profile refused: rollback',
  PARTY_REGISTRY_SIGNATURES_INSUFFICIENT: 'party registry refused: not signed by 2 of the 3 publishers',
  PARTY_REGISTRY_ROLLBACK: 'party registry refused: rollback',
  CAP_CONFLICT: 'cap profile refused: tier conflict',
  MANIFEST_INTEGRITY_FAILURE: 'gec manifest failed verification: fail-closed',
  KERNEL_NOT_STARTED: 'kernel not started',
};

/** The status, headers and RFC 9457 problem+json body for `err`, for callers outside Hono. Never a stack trace. */
export function problemParts(err: DomainError): { status: ContentfulStatusCode; headers: Record<string, string>; body: string } {
  const status = STATUS[err.code];
  const body = {
    type: `urn:kee:error:${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[err.code] ?? err.code.toLowerCase().replaceAll('_', ' '),
    status,
    code: err.code,
    detail: err.message,
    ...(err.facts ? { facts: err.facts } : {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (status === 503) headers['retry-after'] = '1';
  const retry = err.facts?.retry_after_seconds;
  if (status === 429 && typeof retry === 'number') headers['retry-after'] = String(retry);
  return { status, headers, body: JSON.stringify(body) };
}

/** An RFC 9457 problem+json response with a stable `code` (and any extra `headers`, e.g. `Allow`). Never a stack trace. */
export function problem(c: Context, err: DomainError, headers: Record<string, string> = {}): Response {
  const p = problemParts(err);
  return c.body(p.body, p.status, { ...p.headers, ...headers });
}

export function toProblem(c: Context, err: unknown): Response {
  if (err instanceof DomainError) return problem(c, err);
  return problem(c, new DomainError('INTERNAL', 'internal error'));
}
