import { z } from 'zod';
import { AUDIT_PACKAGE_FORMAT, type AuditPackage } from '../kernel/audit/audit-package.ts';
import { DomainError } from '../kernel/errors.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

const packageSchema = z.object({
  format: z.literal(AUDIT_PACKAGE_FORMAT),
  block: z.object({
    block_id: hex(16),
    session_id: z.string(),
    merkle_root: hex(32),
    block_close_timestamp: z.string(),
    record_count: z.number().int().nonnegative(),
    block_signature: z.object({ algorithm: z.literal('Ed25519'), key_id: z.string(), public_key: z.string(), signature: z.string() }),
  }),
  public_key: z.object({ algorithm: z.literal('Ed25519'), key_id: z.string(), public_key: z.string() }),
  records: z.array(
    z.object({
      leaf_index: z.number().int(),
      record: z.looseObject({ ale_seq: z.unknown(), prev_span_hash: z.unknown() }),
      inclusion_proof: z.array(z.string()),
    }),
  ),
});

/** Checks the shape of an audit package read from a file; the cryptographic checks come after. */
export function parseAuditPackage(value: unknown): AuditPackage {
  const r = packageSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new DomainError('INVALID_INPUT', `not a kee audit package: \`${first?.path.join('.') ?? ''}\` ${first?.message ?? ''}`);
  }
  return r.data as unknown as AuditPackage;
}
