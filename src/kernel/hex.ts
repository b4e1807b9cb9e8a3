/** The two ASCII hex digits of each byte value, at 2 × byte. */
const HEX_ASCII = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  HEX_ASCII[2 * i] = '0123456789abcdef'.charCodeAt(i >> 4);
  HEX_ASCII[2 * i + 1] = '0123456789abcdef'.charCodeAt(i & 15);
}
const ascii = new TextDecoder();

/**
 * Lowercase hex encoding, the wire form of every hash, key and signature in Kee. The digits are
 * written as bytes and decoded once: twice as fast as joining two-character strings, which
 * leaves a chain of string pieces to flatten and collect (two hashes per audit record).
 */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(2 * bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const at = 2 * (bytes[i] as number);
    out[2 * i] = HEX_ASCII[at] as number;
    out[2 * i + 1] = HEX_ASCII[at + 1] as number;
  }
  return ascii.decode(out);
}

/** Value of a lowercase hex digit's char code, or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes lowercase hex; returns null for anything else (odd length, other characters). */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** A random W3C trace-context id (trace id: 16 bytes, span id: 8) as hex: never all zeros. */
export function randomTraceId(bytes: 16 | 8): string {
  for (;;) {
    const id = randomHex(bytes);
    if (!ALL_ZERO.test(id)) return id;
  }
}
const ALL_ZERO = /^0+$/;

/** Bytes drawn from the CSPRNG at once for random ids: 512 span ids per call. */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;

/**
 * A fresh random id of `bytes` bytes (at most 64), as hex, from the Web Crypto CSPRNG. Ids are
 * cut from a pool that one `getRandomValues` call fills 4 KiB at a time, and every byte is used
 * once: on Node 20 each `getRandomValues` call costs ~9 µs whatever its size, which with a span
 * id per audit record was a third of the main thread's CPU per append. For ids only (span,
 * trace, session, ceremony); keys and nonces come from their own CSPRNG calls.
 */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 64) throw new RangeError(`randomHex: ${bytes} bytes`);
  if (poolAt + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const id = pool.subarray(poolAt, poolAt + bytes);
  poolAt += bytes;
  const hex = toHex(id);
  // used bytes do not stay in memory
  id.fill(0);
  return hex;
}
