import type { AuditRecord, SessionBlock } from '../types.ts';

export const AUDIT_PACKAGE_FORMAT = 'kee-audit-package/1';

/**
 * The same package as NDJSON, for streaming: a header line `{"format":
 * "kee-audit-package-stream/1","block":…,"public_key":…}`, then one line per record
 * `{"leaf_index":…,"record":…,"inclusion_proof":[…]}` in leaf order.
 */
export const AUDIT_PACKAGE_STREAM_FORMAT = 'kee-audit-package-stream/1';

/**
 * Everything an auditor needs to check one Session Block offline: the signed header, every
 * record with its RFC 9162 inclusion proof, and the public key that signed the block.
 */
export type AuditPackage = {
  format: typeof AUDIT_PACKAGE_FORMAT;
  block: SessionBlock;
  public_key: { algorithm: 'Ed25519'; key_id: string; public_key: string };
  records: { leaf_index: number; record: AuditRecord; inclusion_proof: string[] }[];
};
