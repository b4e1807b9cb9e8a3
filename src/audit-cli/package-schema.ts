import { z } from 'zod';
import { AUDIT_PACKAGE_FORMAT, AUDIT_PACKAGE_STREAM_FORMAT, type AuditPackage } from '../kernel/audit/audit-package.ts';
import type { PackageEntry, PackageHeader } from '../kernel/audit/stream-verify.ts';
import { DomainError } from '../kernel/errors.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

const block = z.object({
  block_id: hex(16),
  session_id: z.string(),
  merkle_root: hex(32),
  block_close_timestamp: z.string(),
  record_count: z.number().int().nonnegative(),
  block_signature: z.object({ algorithm: z.literal('Ed25519'), key_id: z.string(), public_key: z.string(), signature: z.string(), participants: z.array(z.number().int().positive()).optional() }),
});
const publicKey = z.object({ algorithm: z.literal('Ed25519'), key_id: z.string(), public_key: z.string() });
const entry = z.object({
  leaf_index: z.number().int(),
  record: z.looseObject({ ale_seq: z.unknown(), prev_span_hash: z.unknown() }),
  inclusion_proof: z.array(z.string()),
});
const packageSchema = z.object({ format: z.literal(AUDIT_PACKAGE_FORMAT), block, public_key: publicKey, records: z.array(entry) });
const headerSchema = z.object({ format: z.literal(AUDIT_PACKAGE_STREAM_FORMAT), block, public_key: publicKey });

function parse<T>(schema: z.ZodType, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new DomainError('INVALID_INPUT', `${what}: \`${first?.path.join('.') ?? ''}\` ${first?.message ?? ''}`);
  }
  return r.data as T;
}

/** Checks the shape of an audit package read from a file; the cryptographic checks come after. */
export function parseAuditPackage(value: unknown): AuditPackage {
  return parse<AuditPackage>(packageSchema, value, 'not a kee audit package');
}

/** The header line of an NDJSON package stream. */
export function parseStreamHeader(value: unknown): PackageHeader {
  return parse<PackageHeader>(headerSchema, value, 'not a kee audit package stream header');
}

/**
 * One record line of an NDJSON package stream. A shape check only, kept cheap for millions of
 * lines (the verifier checks every value); the full schema reports the first problem if any.
 */
export function parseStreamEntry(value: unknown, line: number): PackageEntry {
  const v = value as Partial<PackageEntry> | null;
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof v.leaf_index === 'number' &&
    typeof v.record === 'object' &&
    v.record !== null &&
    !Array.isArray(v.record) &&
    Array.isArray(v.inclusion_proof) &&
    v.inclusion_proof.every((h) => typeof h === 'string')
  ) {
    return v as PackageEntry;
  }
  return parse<PackageEntry>(entry, value, `line ${line} is not a package record`);
}
