import type { JwsVerifier } from '../../ports/cap-profile.ts';
import type { Json } from '../types.ts';

/** At most this many signature entries are looked at (three publishers, with room for mistakes). */
export const MAX_SIGNATURES = 16;

/**
 * The only protected header parameters accepted. Anything else is refused, `b64` and `crit`
 * above all: RFC 7797 `b64: false` changes which bytes a signature covers, so two entries of
 * one JWS could verify over different content.
 */
const HEADER_PARAMS = new Set(['alg', 'kid', 'typ', 'cty']);

export type PublisherKey = { kid: string; publicKey: Uint8Array };

export type SignatureCount = {
  /** Distinct configured publishers whose signature verifies, sorted. */
  publishers: string[];
  /** The verified payload bytes (the same for every entry of one general serialization). */
  payload: Uint8Array | null;
  /** `kid`s that name no configured publisher: ignored, reported. */
  unknownKids: string[];
  /** Entries that name a configured publisher (or nothing usable) but do not verify. */
  invalid: { index: number; kid: string | null; reason: string }[];
  /** Set when the input is not a JWS JSON general serialization at all. */
  malformed?: string;
};

/**
 * P4 step one, before anything in the payload is read: which configured publishers signed the
 * exact payload. Every entry needs a protected header with `alg: "EdDSA"` and a `kid`; the
 * entry is verified only against the key its `kid` names, so a key counts once however many
 * entries carry it, and an unknown `kid` counts for nothing.
 */
export async function countPublisherSignatures(input: unknown, keys: PublisherKey[], jws: JwsVerifier): Promise<SignatureCount> {
  const out: SignatureCount = { publishers: [], payload: null, unknownKids: [], invalid: [] };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ...out, malformed: 'the update is not a JWS JSON general serialization object' };
  const { payload, signatures } = input as { payload?: unknown; signatures?: unknown };
  if (typeof payload !== 'string' || payload.length === 0) return { ...out, malformed: 'the JWS has no `payload` string' };
  if (!Array.isArray(signatures) || signatures.length === 0) return { ...out, malformed: 'the JWS has no `signatures` array' };
  if (signatures.length > MAX_SIGNATURES) return { ...out, malformed: `the JWS has more than ${MAX_SIGNATURES} signatures` };
  const byKid = new Map(keys.map((k) => [k.kid, k.publicKey]));
  const valid = new Set<string>();
  for (const [index, entry] of signatures.entries()) {
    const e = entry as { protected?: unknown; header?: unknown; signature?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.protected !== 'string' || typeof e.signature !== 'string') {
      out.invalid.push({ index, kid: null, reason: 'entry needs `protected` and `signature` strings' });
      continue;
    }
    if (e.header !== undefined && (typeof e.header !== 'object' || e.header === null || Array.isArray(e.header))) {
      out.invalid.push({ index, kid: null, reason: '`header` must be an object' });
      continue;
    }
    const header = jws.protectedHeader(e.protected);
    const kid = header && typeof header.kid === 'string' ? header.kid.slice(0, 128) : null;
    if (!header || kid === null) {
      out.invalid.push({ index, kid: null, reason: 'protected header has no `kid`' });
      continue;
    }
    if (header.alg !== 'EdDSA') {
      out.invalid.push({ index, kid, reason: 'protected header `alg` must be `EdDSA`' });
      continue;
    }
    const extra = Object.keys(header).find((k) => !HEADER_PARAMS.has(k));
    if (extra !== undefined) {
      out.invalid.push({ index, kid, reason: `protected header parameter \`${extra.slice(0, 64)}\` is not accepted` });
      continue;
    }
    if (e.header !== undefined && Object.keys(e.header).length > 0) {
      out.invalid.push({ index, kid, reason: 'unprotected header parameters are not accepted' });
      continue;
    }
    const key = byKid.get(kid);
    if (!key) {
      if (!out.unknownKids.includes(kid)) out.unknownKids.push(kid);
      continue;
    }
    const check = await jws.verify({ payload, protected: e.protected, signature: e.signature, ...(e.header ? { header: e.header as Record<string, unknown> } : {}) }, key);
    if (!check.valid) out.invalid.push({ index, kid, reason: check.reason });
    else if (out.payload !== null && !sameBytes(out.payload, check.payload)) out.invalid.push({ index, kid, reason: 'signature covers other bytes than the other signatures' });
    else {
      valid.add(kid);
      out.payload = check.payload;
    }
  }
  out.publishers = [...valid].sort();
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The signature facts as audit-record detail. */
export function signatureDetail(c: SignatureCount): Record<string, Json> {
  return {
    valid_publishers: c.publishers,
    unknown_kids: c.unknownKids,
    invalid_signatures: c.invalid.map((i) => ({ index: i.index, kid: i.kid, reason: i.reason })),
  };
}
