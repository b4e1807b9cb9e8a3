import { compactVerify, decodeProtectedHeader, type JWSHeaderParameters } from 'jose';
import { HolderProofs, type HolderProof } from './holder-proof.ts';
import { intentFingerprint, type Intent } from './intent.ts';
import { JwksCache } from './jwks-cache.ts';
import { RevocationFeed } from './revocation-feed.ts';

/** JOSE `typ` of a Kee credential. */
export const CREDENTIAL_TYP = 'kee-credential+jwt';
/** Every Kee credential lives exactly this long (`exp` − `iat`). */
export const CREDENTIAL_TTL_SECONDS = 60;

/** Why a credential is refused: a stable code and one line. */
export type RefusalCode =
  | 'CREDENTIAL_MALFORMED'
  | 'UNKNOWN_KID'
  | 'SIGNATURE_INVALID'
  | 'ISSUER_MISMATCH'
  | 'AUDIENCE_MISMATCH'
  | 'TTL_INVALID'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'INTENT_MISMATCH'
  | 'REVOKED'
  | 'PROOF_MISSING'
  | 'PROOF_INVALID'
  | 'REVOCATION_FEED_STALE'
  | 'KERNEL_UNREACHABLE';

export type CredentialClaims = {
  iss: string;
  sub: string;
  aud?: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  intent: string;
  ale_seq: number;
  block_id: string;
  cedar_policy_hash: string;
  cap_profile_hash: string | null;
  /** RFC 7800: the holder's key thumbprint (credentials of authenticated sessions). */
  cnf?: { jkt: string };
  [claim: string]: unknown;
};

export type Verification = { ok: true; claims: CredentialClaims } | { ok: false; code: RefusalCode; reason: string };

export type CredentialVerifierOptions = {
  /** The kernel's base URL, e.g. `https://kee.example` (JWKS and revocation feed are read from it). */
  kernelUrl: string;
  /** The kernel's `iss` (its origin line, `kee.local/<kernel key id>` unless configured). */
  issuer: string;
  /** This provider's identity: a credential must name it as `aud`. */
  audience: string;
  /** Tolerated clock difference with the kernel, in seconds. Default 5, at most 30. */
  maxSkewSeconds?: number;
  /** Refuse every credential while the revocation feed is older than this (kernel time), seconds. Default 30. */
  maxFeedAgeSeconds?: number;
  /** Poll the feed when the last poll is older than this, seconds. Default 5. */
  pollSeconds?: number;
  /** Fetch the JWKS again for an unknown `kid` at most this often, seconds. Default 30. */
  jwksCooldownSeconds?: number;
  /** Refresh the JWKS at least this often, seconds. Default 600. */
  jwksMaxAgeSeconds?: number;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** This verifier's clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
};

/**
 * Verifies Kee intent-bound credentials at a resource provider, with Web APIs and `jose` only
 * (runs unchanged on workerd, Node, Bun and Deno). A credential is accepted only when all hold:
 * an EdDSA signature by a key of the kernel's JWKS (cached; an unknown `kid` refetches it, so
 * rotated keys are honoured), `typ` `kee-credential+jwt`, the expected `iss` and `aud`,
 * `exp` − `iat` = 60 and `nbf` = `iat`, this clock within `[nbf − skew, exp + skew)`, the intent
 * fingerprint equal to the one recomputed from the request received, and its `jti` absent from a
 * revocation feed no older than `maxFeedAgeSeconds`. A credential carrying `cnf.jkt` (issued in
 * an authenticated session) also needs the holder's DPoP proof of that key (`holder-proof.ts`):
 * pass the `DPoP` header and the request's method and URL as `proof`.
 *
 * @example
 * const verifier = createCredentialVerifier({ kernelUrl: 'https://kee.example', issuer: 'kee.local/…', audience: 'https://files.example' });
 * const v = await verifier.verify(token, { principal, action, resource, context });
 * if (!v.ok) return new Response(v.reason, { status: 403 });
 */
export function createCredentialVerifier(options: CredentialVerifierOptions) {
  const now = options.now ?? (() => Date.now());
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  const skew = Math.min(Math.max(options.maxSkewSeconds ?? 5, 0), 30);
  const base = options.kernelUrl.replace(/\/+$/, '');
  const jwks = new JwksCache({ url: `${base}/.well-known/jwks.json`, fetch: fetcher, now, cooldownMs: (options.jwksCooldownSeconds ?? 30) * 1000, maxAgeMs: (options.jwksMaxAgeSeconds ?? 600) * 1000 });
  const feed = new RevocationFeed({ url: `${base}/v1/revocations`, fetch: fetcher, now, pollMs: (options.pollSeconds ?? 5) * 1000, maxAgeMs: (options.maxFeedAgeSeconds ?? 30) * 1000 });

  const holders = new HolderProofs();

  async function verify(token: string, intent: Intent, proof?: HolderProof): Promise<Verification> {
    let header: JWSHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch {
      return refuse('CREDENTIAL_MALFORMED', 'not a compact JWS');
    }
    if (header.alg !== 'EdDSA' || header.typ !== CREDENTIAL_TYP || typeof header.kid !== 'string') return refuse('CREDENTIAL_MALFORMED', `not a Kee credential (alg EdDSA, typ ${CREDENTIAL_TYP}, kid)`);
    let key: CryptoKey | null;
    try {
      key = await jwks.key(header, { payload: '', signature: '' } as never);
    } catch (e) {
      return refuse('KERNEL_UNREACHABLE', `cannot read the kernel JWKS: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (key === null) return refuse('UNKNOWN_KID', `the kernel publishes no key \`${header.kid}\``);
    let claims: CredentialClaims;
    try {
      const { payload } = await compactVerify(token, key, { algorithms: ['EdDSA'] });
      claims = JSON.parse(new TextDecoder().decode(payload)) as CredentialClaims;
    } catch {
      return refuse('SIGNATURE_INVALID', 'the signature does not verify against the kernel key');
    }
    if (!claims || typeof claims !== 'object' || ![claims.iat, claims.nbf, claims.exp].every(Number.isSafeInteger) || typeof claims.jti !== 'string' || typeof claims.intent !== 'string') {
      return refuse('CREDENTIAL_MALFORMED', 'claims are missing or of the wrong type');
    }
    if (claims.iss !== options.issuer) return refuse('ISSUER_MISMATCH', `issued by \`${String(claims.iss)}\`, not \`${options.issuer}\``);
    if (claims.aud !== options.audience) return refuse('AUDIENCE_MISMATCH', `for audience \`${String(claims.aud ?? '(none)')}\`, not \`${options.audience}\``);
    if (claims.exp - claims.iat !== CREDENTIAL_TTL_SECONDS || claims.nbf !== claims.iat) return refuse('TTL_INVALID', `lifetime is not exactly ${CREDENTIAL_TTL_SECONDS} s from iat`);
    const t = now() / 1000;
    if (t < claims.nbf - skew) return refuse('NOT_YET_VALID', `not valid before ${claims.nbf}`);
    if (t >= claims.exp + skew) return refuse('EXPIRED', `expired at ${claims.exp}`);
    let expected: string;
    try {
      expected = intentFingerprint(intent);
    } catch {
      return refuse('INTENT_MISMATCH', 'the request received cannot be fingerprinted');
    }
    if (claims.intent !== expected) return refuse('INTENT_MISMATCH', 'the credential was issued for another request');
    if (claims.cnf !== undefined) {
      const jkt = (claims.cnf as { jkt?: unknown } | null)?.jkt;
      if (typeof jkt !== 'string') return refuse('CREDENTIAL_MALFORMED', '`cnf` must be `{"jkt": …}`');
      if (!proof?.dpop) return refuse('PROOF_MISSING', 'this credential is bound to a key (cnf.jkt): a `DPoP` proof of it is required');
      const wrong = await holders.check(proof, jkt, token, Math.floor(t), skew);
      if (wrong) return refuse('PROOF_INVALID', wrong);
    }
    const status = await feed.status(claims.jti, typeof claims.sub === 'string' ? claims.sub : undefined);
    if (status === 'stale') return refuse('REVOCATION_FEED_STALE', 'the revocation feed is stale: credentials are refused until it is current');
    if (status === 'revoked') return refuse('REVOKED', `credential \`${claims.jti}\` or its agent XPID \`${String(claims.sub)}\` is revoked`);
    return { ok: true, claims };
  }

  return { verify };
}

function refuse(code: RefusalCode, reason: string): Verification {
  return { ok: false, code, reason };
}
