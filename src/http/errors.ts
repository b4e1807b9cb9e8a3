import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode } from '../kernel/errors.ts';

/** The only table from a domain error code to an HTTP status. */
export const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  INVALID_INPUT: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  SESSION_CLOSED: 409,
  CONFLICT: 409,
  PROOF_INVALID: 422,
  AUDIT_TAMPERED: 409,
  GAR_UNAVAILABLE: 503,
  SIGNER_FAILED: 503,
  UNAVAILABLE: 503,
  MANIFEST_INTEGRITY_FAILURE: 503,
  KERNEL_NOT_STARTED: 503,
  INTERNAL: 500,
};

const TITLES: Partial<Record<ErrorCode, string>> = {
  GAR_UNAVAILABLE: 'agent actions suspended',
  SIGNER_FAILED: 'signing unavailable',
  AUDIT_TAMPERED: 'audit data failed verification',
  MANIFEST_INTEGRITY_FAILURE: 'gec manifest failed verification: fail-closed',
  KERNEL_NOT_STARTED: 'kernel not started',
};

/** An RFC 9457 problem+json response with a stable `code`. Never a stack trace. */
export function problem(c: Context, err: DomainError): Response {
  const status = STATUS[err.code];
  const body = {
    type: `urn:kee:error:${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[err.code] ?? err.code.toLowerCase().replaceAll('_', ' '),
    status,
    code: err.code,
    detail: err.message,
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (status === 503) headers['retry-after'] = '1';
  return c.body(JSON.stringify(body), status, headers);
}

/** Turns anything thrown into a problem response; unknown errors become a bare 500. */
export function toProblem(c: Context, err: unknown): Response {
  if (err instanceof DomainError) return problem(c, err);
  return problem(c, new DomainError('INTERNAL', 'internal error'));
}
