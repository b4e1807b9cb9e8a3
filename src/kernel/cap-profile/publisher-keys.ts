import { DomainError } from '../errors.ts';
import { fromHex } from '../hex.ts';

/**
 * Parses configured publisher public keys: raw 32-byte Ed25519 keys as lowercase hex (64
 * characters) or unpadded base64url (43 characters), separated by commas or whitespace; `#`
 * starts a comment (key files). Throws INVALID_INPUT naming the bad entry; the count and
 * distinctness are checked by `publisherKeySet`.
 */
export function parsePublisherKeys(text: string): Uint8Array[] {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter((e) => e !== '');
  return entries.map((e, i) => {
    const key = /^[0-9a-fA-F]{64}$/.test(e) ? fromHex(e.toLowerCase()) : /^[A-Za-z0-9_-]{43}$/.test(e) ? fromBase64url(e) : null;
    if (!key || key.length !== 32) throw new DomainError('INVALID_INPUT', `publisher key ${i + 1} \`${e.slice(0, 16)}…\` is not a 32-byte ed25519 public key in hex or base64url`);
    return key;
  });
}

function fromBase64url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '=');
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
