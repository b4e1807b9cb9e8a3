import type { Merkle } from '../../ports/merkle.ts';

/**
 * C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint): origin, decimal tree size and the
 * base64 RFC 9162 root, each followed by a newline.
 */
export function checkpointBody(origin: string, size: number, root: Uint8Array): string {
  return `${origin}\n${size}\n${base64(root)}\n`;
}

/**
 * C2SP signed-note key ID for an Ed25519 key: the first four bytes of
 * SHA-256(key name || 0x0A || 0x01 || public key).
 */
export function noteKeyId(merkle: Merkle, keyName: string, publicKey: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(keyName);
  const buf = new Uint8Array(name.length + 2 + publicKey.length);
  buf.set(name, 0);
  buf[name.length] = 0x0a;
  buf[name.length + 1] = 0x01;
  buf.set(publicKey, name.length + 2);
  return merkle.sha256(buf).slice(0, 4);
}

/** A signed note: the text, a blank line, and `— <key name> base64(key ID || signature)`. */
export function signedNote(text: string, keyName: string, keyId: Uint8Array, signature: Uint8Array): string {
  const sig = new Uint8Array(keyId.length + signature.length);
  sig.set(keyId, 0);
  sig.set(signature, keyId.length);
  return `${text}\n\u2014 ${keyName} ${base64(sig)}\n`;
}

export function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Decodes standard padded base64 (RFC 4648 §4); null for anything else, so a bad root never decodes. */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let raw: string;
  try {
    raw = atob(text);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  // canonical form only: a re-encoding must give the same text (no stray bits in the padding)
  return base64(bytes) === text ? bytes : null;
}
