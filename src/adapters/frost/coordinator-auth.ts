/**
 * How a FROST sidecar knows a request comes from its coordinator (KEE-1 §9.3: signer traffic is
 * mutually authenticated).
 *
 * Choice: every request is signed with the coordinator's own Ed25519 key; the sidecar holds only
 * the coordinator's public key. Compared with a shared bearer secret: nothing a sidecar stores
 * lets anyone impersonate the coordinator (to it or to the other sidecars), a captured request
 * cannot be altered (the signature covers method, path, body digest and the addressed
 * participant) and cannot be replayed (timestamp within a window plus a one-time request nonce
 * remembered for that window), and a request meant for participant 1 is refused by participant 2.
 *
 * Signed text (UTF-8, `\n`-separated): `kee-frost-sidecar/1`, method, path, participant id,
 * timestamp (Unix ms), request nonce (32 hex), SHA-256 of the body (hex).
 * Headers: `kee-timestamp`, `kee-nonce`, `kee-signature` (hex, 64 bytes).
 *
 * Signing and verification go through an `Ed25519Provider`: WebCrypto Ed25519 by default (Node,
 * Bun, Deno; about ten times faster than pure JS), or the one an entry supplies: on Node,
 * `node:crypto`'s synchronous sign/verify over keys prepared once (src/entry/node-ed25519.ts),
 * which skips WebCrypto's per-call key checks and thread-pool round trip. This is on every
 * signer round trip. The signed text, headers and checks are the same whichever provider.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, randomHex, toHex } from '../../kernel/hex.ts';

export const AUTH_SCHEME = 'kee-frost-sidecar/1';
/** A request older or newer than this (against the sidecar's clock) is refused. */
export const REPLAY_WINDOW_MS = 30_000;

const utf8 = new TextEncoder();

const b64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** Signs a request's text with the coordinator key (64-byte Ed25519 signature). */
export type RequestSigner = (text: Uint8Array) => Uint8Array | Promise<Uint8Array>;
/** True when `signature` is the coordinator's Ed25519 signature of `text`. */
export type RequestVerifier = (signature: Uint8Array, text: Uint8Array) => boolean | Promise<boolean>;

/** Prepares the coordinator's keys once: a signer from its 32-byte seed, a verifier from its public key. */
export type Ed25519Provider = {
  signer(seed: Uint8Array): RequestSigner;
  verifier(publicKey: Uint8Array): RequestVerifier;
};

/** The coordinator's signing key for WebCrypto, from its 32-byte Ed25519 seed. */
export function coordinatorSigningKey(seed: Uint8Array): Promise<CryptoKey> {
  if (seed.length !== 32) throw new DomainError('INVALID_INPUT', 'the coordinator key is a 32-byte Ed25519 seed');
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(ed25519.getPublicKey(seed)) };
  return crypto.subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['sign']);
}

/** WebCrypto Ed25519 (any runtime with `crypto.subtle` Ed25519): the default provider. */
export const webCryptoEd25519: Ed25519Provider = {
  signer(seed) {
    const key = coordinatorSigningKey(seed);
    key.catch(() => undefined); // reported by the first signature
    return async (text) => new Uint8Array(await crypto.subtle.sign('Ed25519', await key, text as Uint8Array<ArrayBuffer>));
  },
  verifier(publicKey) {
    const key = crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
    key.catch(() => undefined); // reported by the first verification
    return async (signature, text) => crypto.subtle.verify('Ed25519', await key, signature as Uint8Array<ArrayBuffer>, text as Uint8Array<ArrayBuffer>);
  },
};

function signedText(method: string, path: string, participant: number, timestamp: string, nonce: string, body: Uint8Array): Uint8Array {
  return utf8.encode([AUTH_SCHEME, method.toUpperCase(), path, String(participant), timestamp, nonce, toHex(sha256(body))].join('\n'));
}

/** The authentication headers for one request from the coordinator (its seed, WebCrypto key or prepared signer) to `participant`. */
export async function coordinatorHeaders(
  key: Uint8Array | CryptoKey | RequestSigner,
  req: { method: string; path: string; participant: number; body: Uint8Array; now?: number },
): Promise<Record<string, string>> {
  let sign: RequestSigner;
  if (typeof key === 'function') sign = key;
  else if (key instanceof Uint8Array) sign = webCryptoEd25519.signer(key);
  else sign = async (text) => new Uint8Array(await crypto.subtle.sign('Ed25519', key, text as Uint8Array<ArrayBuffer>));
  const timestamp = String(req.now ?? Date.now());
  const nonce = randomHex(16);
  const text = signedText(req.method, req.path, req.participant, timestamp, nonce, req.body);
  const signature = await sign(text);
  return { 'kee-timestamp': timestamp, 'kee-nonce': nonce, 'kee-signature': toHex(signature) };
}

/** The coordinator's public key from its 32-byte seed. */
export function coordinatorPublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** Checks coordinator signatures for one participant, remembering request nonces inside the window. */
export class CoordinatorVerifier {
  private readonly check: RequestVerifier;
  private readonly participant: number;
  /** Request nonces seen, with the time until which each must be remembered. */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private swept = 0;

  constructor(publicKey: Uint8Array, participant: number, now: () => number = Date.now, provider: Ed25519Provider = webCryptoEd25519) {
    if (publicKey.length !== 32) throw new DomainError('INVALID_INPUT', 'the coordinator public key is 32 bytes (64 hex characters)');
    this.check = provider.verifier(publicKey);
    this.participant = participant;
    this.now = now;
  }

  /** Throws UNAUTHENTICATED unless the request is signed by the coordinator, fresh, and not seen before. */
  async verify(req: { method: string; path: string; headers: (name: string) => string | undefined; body: Uint8Array }): Promise<void> {
    const timestamp = req.headers('kee-timestamp') ?? '';
    const nonce = req.headers('kee-nonce') ?? '';
    const signature = fromHex(req.headers('kee-signature') ?? '');
    if (!/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f]{32}$/.test(nonce) || !signature || signature.length !== 64) {
      throw unauthenticated('missing or malformed coordinator signature headers (`kee-timestamp`, `kee-nonce`, `kee-signature`)');
    }
    let ok = false;
    try {
      const text = signedText(req.method, req.path, this.participant, timestamp, nonce, req.body);
      ok = (await this.check(signature, text)) === true;
    } catch {
      ok = false;
    }
    if (!ok) throw unauthenticated(`the request is not signed by the coordinator key for participant ${this.participant}`);
    const now = this.now();
    const at = Number(timestamp);
    if (Math.abs(now - at) > REPLAY_WINDOW_MS) throw unauthenticated(`the request timestamp is ${Math.round((now - at) / 1000)} s off (window ${REPLAY_WINDOW_MS / 1000} s)`);
    this.forget(now);
    if (this.seen.has(nonce)) throw unauthenticated('replayed request (its nonce was already used)');
    this.seen.set(nonce, at + REPLAY_WINDOW_MS);
  }

  /**
   * Drops nonces whose requests are now outside the window, at most once a second: entries are
   * only ever dropped once expired, so a later sweep never lets a replay inside the window through.
   */
  private forget(now: number): void {
    if (now >= this.swept && now - this.swept < 1000) return;
    this.swept = now;
    for (const [nonce, until] of this.seen) if (until < now) this.seen.delete(nonce);
  }
}

function unauthenticated(message: string): DomainError {
  return new DomainError('UNAUTHENTICATED', message);
}
