/**
 * Operator bearer tokens verified with `jose` against a JWKS: a local key set (a file the entry
 * read, a workerd variable) or an identity provider's `https` JWKS URL (fetched, cached and
 * refreshed on an unknown `kid` by jose). Asymmetric algorithms only: `none` and HMAC (`HS*`)
 * are refused whatever the key set holds, so a public key can never double as an HMAC secret.
 * `exp` and `sub` are required; `iss` and `aud` are checked when configured.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '../../kernel/errors.ts';
import type { OperatorTokenVerifier } from '../../ports/operator-auth.ts';

/** The JWS algorithms an operator token may use (RFC 7518, RFC 8037, RFC 9864). */
export const OPERATOR_TOKEN_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

export type OperatorTokenOptions = {
  /** The key set itself, or the `https` URL it is served at. */
  jwks: JSONWebKeySet | URL;
  /** Required `iss` when set. */
  issuer?: string;
  /** Required in `aud` when set. */
  audience?: string;
  /** Seconds of clock skew allowed on `exp` / `nbf` / `iat`. Default 30. */
  clockToleranceSeconds?: number;
  /** The time tokens are checked at (tests). Default: now. */
  now?: () => Date;
};

/** Throws (a one-line Error) unless `jwks` is a key set of public, asymmetric keys. */
export function checkJwks(jwks: unknown): JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(keys) || keys.length === 0) throw new Error('a JWKS is a JSON object with a non-empty `keys` array');
  keys.forEach((k: unknown, i) => {
    const key = k as Record<string, unknown> | null;
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new Error(`key ${i} of the JWKS has no \`kty\``);
    if (key.kty === 'oct') throw new Error(`key ${i} of the JWKS is symmetric (\`oct\`): operator tokens are verified with public keys only`);
    if ('d' in key) throw new Error(`key ${i} of the JWKS is a private key: configure the public half only`);
  });
  return jwks as JSONWebKeySet;
}

export function joseOperatorTokenVerifier(options: OperatorTokenOptions): OperatorTokenVerifier {
  const keys: JWTVerifyGetKey = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(checkJwks(options.jwks));
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: OPERATOR_TOKEN_ALGORITHMS,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: options.clockToleranceSeconds ?? 30,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
          ...(options.now ? { currentDate: options.now() } : {}),
        });
        return { subject: payload.sub as string, claims: payload as Record<string, unknown> };
      } catch (e) {
        throw refusal(e);
      }
    },
  };
}

/** A jose failure as the kernel's error: the token's fault is UNAUTHENTICATED, the key source's UNAVAILABLE. */
function refusal(e: unknown): DomainError {
  const why = (message: string) => new DomainError('UNAUTHENTICATED', message, { cause: e });
  if (e instanceof errors.JWTExpired) return why('the bearer token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) return why(`the bearer token's \`${e.claim}\` claim is refused: ${e.message.toLowerCase()}`);
  if (e instanceof errors.JOSEAlgNotAllowed) return why(`the bearer token's algorithm is not accepted (asymmetric only: ${OPERATOR_TOKEN_ALGORITHMS.join(', ')})`);
  if (e instanceof errors.JWKSNoMatchingKey) return why('no configured operator key matches the bearer token');
  if (e instanceof errors.JWKSMultipleMatchingKeys) return why('several configured operator keys match the bearer token: give it a `kid`');
  if (e instanceof errors.JWSSignatureVerificationFailed) return why('the bearer token signature does not verify');
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return new DomainError('UNAVAILABLE', 'the operator key set (KEE_OPERATOR_JWKS) cannot be fetched', { cause: e });
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported) return why('the bearer token is not a well-formed signed JWT');
  if (e instanceof errors.JOSEError) return why('the bearer token does not verify');
  // a fetch of a remote key set that failed (network, TLS): not the token's fault
  return new DomainError('UNAVAILABLE', 'the operator key set (KEE_OPERATOR_JWKS) cannot be fetched', { cause: e });
}
