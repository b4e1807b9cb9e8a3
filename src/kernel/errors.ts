import { CAP_REFUSAL_CODES } from './cap-profile/refusal.ts';
import type { Json } from './types.ts';

/**
 * Domain errors carry a stable string `code`. The kernel never names HTTP statuses:
 * `src/http/errors.ts` is the only table from code to status.
 *
 * Messages follow Cedar's style: lowercase, no full stop, user input in backticks.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_ACCEPTABLE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'SESSION_NOT_FOUND',
  'BLOCK_NOT_FOUND',
  'CONTROL_NOT_FOUND',
  'SESSION_CLOSED',
  'SESSION_EXPIRED',
  'CONFLICT',
  'GAR_UNAVAILABLE',
  'SIGNER_FAILED',
  'PROOF_INVALID',
  'AUDIT_TAMPERED',
  'UNAVAILABLE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_XPID_CLAIM',
  'MANIFEST_INTEGRITY_FAILURE',
  'KERNEL_NOT_STARTED',
  'RATE_LIMITED',
  'REQUEST_TIMEOUT',
  'INTERNAL',
  'HEM_MISMATCH',
  // refused KIA Party Registry submissions (docs/party-registry.md)
  'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT',
  'PARTY_REGISTRY_MALFORMED',
  'PARTY_REGISTRY_ROLLBACK',
  'PARTY_REGISTRY_KERNEL_MISSING',
  ...CAP_REFUSAL_CODES,
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Structured facts for the client (e.g. why a CAP Profile was refused); never internals. */
  readonly facts: Record<string, Json> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; facts?: Record<string, Json> }) {
    super(message, options);
    this.name = 'DomainError';
    this.code = code;
    this.facts = options?.facts;
  }
}

/** True when `e` is a DomainError, optionally of the given code. */
export function isDomainError(e: unknown, code?: ErrorCode): e is DomainError {
  return e instanceof DomainError && (code === undefined || e.code === code);
}
