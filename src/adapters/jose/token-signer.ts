/**
 * The kernel token key (`TokenSigner` port) over `jose`: compact JWS with EdDSA (RFC 8037),
 * `kid` = RFC 7638 thumbprint of the public JWK, ids from the `uuid` package (v4).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url as joseBase64url, compactVerify, importJWK, type CryptoKey } from 'jose';
import { v4 as uuidv4 } from 'uuid';
import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { TokenJwk, TokenSigner } from '../../ports/token-signer.ts';
import { base64url } from './jws.ts';

const utf8 = new TextEncoder();

/**
 * RFC 7638 §3.2 thumbprint of an Ed25519 OKP key: base64url SHA-256 of the required members
 * `crv`, `kty`, `x` in lexicographic order, no whitespace.
 */
export function okpThumbprint(x: string): string {
  return base64url(sha256(utf8.encode(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)));
}

/** The public JWK of a raw 32-byte Ed25519 key, as `/.well-known/jwks.json` lists it. */
export function tokenJwk(publicKey: Uint8Array): TokenJwk {
  const x = base64url(publicKey);
  return { kty: 'OKP', crv: 'Ed25519', x, kid: okpThumbprint(x), use: 'sig', alg: 'EdDSA' };
}

const MAX_VERIFIED = 4096;
/** The WebCrypto algorithm, as `jose` names it for EdDSA. */
const ED25519 = { name: 'Ed25519' };

export class JoseTokenSigner implements TokenSigner {
  readonly kid: string;
  readonly jwk: TokenJwk;
  readonly publicKeyHex: string;
  private readonly seed: Uint8Array;
  private readonly publicKey: Uint8Array;
  private privateKey: Promise<CryptoKey> | null = null;
  /** The encoded protected header of each `typ` signed (a handful: credentials, session tokens). */
  private readonly headers = new Map<string, string>();
  private verifyKey: Promise<CryptoKey | Uint8Array> | null = null;
  /**
   * Tokens of this key already verified, by `typ` and exact text: a session token comes back on
   * every call of its session, and the same bytes under the same key verify the same way, so its
   * signature is checked once (callers still check `exp` and the rest each time). Bounded.
   */
  private readonly verified = new Map<string, Map<string, Record<string, unknown>>>();
  /** Tokens held in `verified`, all `typ`s together (at most MAX_VERIFIED). */
  private verifiedCount = 0;

  /** `seed`: the 32-byte Ed25519 secret key. */
  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new DomainError('INVALID_INPUT', 'an ed25519 token key is 32 bytes');
    this.seed = seed.slice();
    this.publicKey = ed25519.getPublicKey(this.seed);
    this.jwk = tokenJwk(this.publicKey);
    this.kid = this.jwk.kid;
    this.publicKeyHex = toHex(this.publicKey);
  }

  /** A fresh seed from the CSPRNG. */
  static generateSeed(): Uint8Array {
    return ed25519.utils.randomSecretKey();
  }

  /**
   * A compact JWS, byte for byte what `jose`'s `CompactSign` writes with the header
   * `{alg: 'EdDSA', typ, kid}`: base64url of that header's JSON (encoded once per `typ`), `.`,
   * base64url of the claims' JSON, `.`, base64url of the WebCrypto Ed25519 signature of the two
   * (deterministic, RFC 8032), without `jose`'s generic header validation on every call.
   */
  async sign(typ: string, claims: Record<string, unknown>): Promise<string> {
    let json: string;
    try {
      json = JSON.stringify(claims);
    } catch (e) {
      throw signerFailed(e);
    }
    return this.signJson(typ, json);
  }

  /** `sign` of claims already serialized (`json`: their `JSON.stringify`), for callers that hold that text. */
  async signJson(typ: string, json: string): Promise<string> {
    this.privateKey ??= importJWK({ kty: 'OKP', crv: 'Ed25519', x: this.jwk.x, d: base64url(this.seed) }, 'EdDSA') as Promise<CryptoKey>;
    let header = this.headers.get(typ);
    if (header === undefined) {
      header = joseBase64url.encode(JSON.stringify({ alg: 'EdDSA', typ, kid: this.kid }));
      if (this.headers.size < 16) this.headers.set(typ, header);
    }
    try {
      const input = `${header}.${joseBase64url.encode(json)}`;
      const signature = await crypto.subtle.sign(ED25519, await this.privateKey, utf8.encode(input));
      return `${input}.${joseBase64url.encode(new Uint8Array(signature))}`;
    } catch (e) {
      throw signerFailed(e);
    }
  }

  async verify(token: string, typ: string): Promise<Record<string, unknown> | null> {
    // by `typ`, then by the token's own text (no key string built per call)
    const known = this.verified.get(typ)?.get(token);
    if (known) return { ...known };
    this.verifyKey ??= importJWK({ kty: 'OKP', crv: 'Ed25519', x: this.jwk.x }, 'EdDSA');
    try {
      const { payload, protectedHeader } = await compactVerify(token, await this.verifyKey, { algorithms: ['EdDSA'] });
      if (protectedHeader.typ !== typ || protectedHeader.kid !== this.kid) return null;
      const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
      if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return null;
      if (this.verifiedCount >= MAX_VERIFIED) {
        this.verified.clear();
        this.verifiedCount = 0;
      }
      let ofTyp = this.verified.get(typ);
      if (ofTyp === undefined) this.verified.set(typ, (ofTyp = new Map()));
      const before = ofTyp.size;
      ofTyp.set(token, claims as Record<string, unknown>);
      this.verifiedCount += ofTyp.size - before;
      return { ...(claims as Record<string, unknown>) };
    } catch {
      return null;
    }
  }

  newId(): string {
    return uuidv4();
  }
}

function signerFailed(e: unknown): DomainError {
  return new DomainError('SIGNER_FAILED', `the token key cannot sign: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
