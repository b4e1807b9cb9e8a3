/**
 * The cryptography of a FROST ceremony among sidecars (`kee signer keygen|refresh|repair
 * --sidecars`), where the coordinator only relays:
 *
 * - Identity: each sidecar has a long-term Ed25519 identity key (its file beside the share). It
 *   signs its part-1 announcement (JCS text), which carries a per-ceremony X25519 exchange key; a
 *   peer verifies the signature under the identity key its operator gave it (`--peers`) before
 *   it sends anything secret, so a coordinator cannot swap exchange keys.
 * - Secret packages (DKG round-2 packages, repair deltas and sigmas): sealed to their recipient
 *   with AES-256-GCM (WebCrypto) under HKDF-SHA256 of the X25519 shared secret of the sender's
 *   and the recipient's exchange keys; salt = the ceremony id, and info and the additional data
 *   bind the scheme, ceremony id, step, sender and recipient, so a package cannot be moved to
 *   another ceremony, step or pair.
 *
 * Web APIs and @noble only (no runtime imports).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, toHex } from '../../kernel/hex.ts';
import { canonicalJson } from '../../kernel/jcs.ts';

export const CEREMONY_SCHEME = 'kee-frost-ceremony/1';

const utf8 = new TextEncoder();

/** A fresh X25519 key pair for one ceremony (OS CSPRNG). */
export function exchangeKeyPair(): { secret: Uint8Array; public: Uint8Array } {
  const secret = x25519.utils.randomSecretKey();
  return { secret, public: x25519.getPublicKey(secret) };
}

/** Ed25519 signature by the identity key (32-byte seed) over the JCS text of `statement`. */
export function signStatement(identitySeed: Uint8Array, statement: object): string {
  return toHex(ed25519.sign(utf8.encode(canonicalJson(statement)), identitySeed));
}

/** True when `signature` (hex) is the identity key's signature over the JCS text of `statement`. */
export function verifyStatement(identityKey: Uint8Array, statement: object, signature: string): boolean {
  const sig = fromHex(signature);
  if (!sig || sig.length !== 64 || identityKey.length !== 32) return false;
  try {
    return ed25519.verify(sig, utf8.encode(canonicalJson(statement)), identityKey);
  } catch {
    return false;
  }
}

export type SealContext = { ceremonyId: string; step: string; from: number; to: number };

const label = (c: SealContext) => `${CEREMONY_SCHEME}|ceremony=${c.ceremonyId}|step=${c.step}|from=${c.from}|to=${c.to}`;

async function aeadKey(mySecret: Uint8Array, theirPublic: Uint8Array, c: SealContext, use: KeyUsage): Promise<CryptoKey> {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(mySecret, theirPublic);
  } catch {
    throw new DomainError('INVALID_INPUT', `participant ${c.from === c.to ? c.from : `${c.from}/${c.to}`} announced an invalid exchange key`);
  }
  if (shared.every((b) => b === 0)) throw new DomainError('INVALID_INPUT', 'an announced exchange key is a low-order point');
  const key = hkdf(sha256, shared, utf8.encode(c.ceremonyId), utf8.encode(label(c)), 32);
  shared.fill(0);
  try {
    return await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, [use]);
  } finally {
    key.fill(0);
  }
}

/** A secret package sealed to its recipient: `{from, to, iv, ciphertext}` (hex). */
export type SealedPackage = { from: number; to: number; iv: string; ciphertext: string };

/** Seals `plain` from `c.from` (holding `mySecret`) to `c.to` (announcing `theirPublic`). */
export async function sealPackage(mySecret: Uint8Array, theirPublic: Uint8Array, c: SealContext, plain: Uint8Array): Promise<SealedPackage> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await aeadKey(mySecret, theirPublic, c, 'encrypt');
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(label(c)) }, key, plain as Uint8Array<ArrayBuffer>);
  return { from: c.from, to: c.to, iv: toHex(iv), ciphertext: toHex(new Uint8Array(sealed)) };
}

/** Opens a package sealed to `c.to` (holding `mySecret`) by `c.from` (announcing `theirPublic`); INVALID_INPUT when it does not open. */
export async function openPackage(mySecret: Uint8Array, theirPublic: Uint8Array, c: SealContext, p: SealedPackage): Promise<Uint8Array> {
  const iv = fromHex(p.iv);
  const ciphertext = fromHex(p.ciphertext);
  if (!iv || iv.length !== 12 || !ciphertext) throw new DomainError('INVALID_INPUT', `the package from participant ${c.from} is malformed`);
  const key = await aeadKey(mySecret, theirPublic, c, 'decrypt');
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: utf8.encode(label(c)) }, key, ciphertext as Uint8Array<ArrayBuffer>));
  } catch {
    throw new DomainError('INVALID_INPUT', `the ${c.step} package from participant ${c.from} to ${c.to} does not open: it was modified, or sealed for another ceremony, step or recipient`);
  }
}

/** The Ed25519 public key of an identity seed. */
export function identityPublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}
