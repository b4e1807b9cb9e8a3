import type { Json } from '../types.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * The kernel's own chained session, for records that belong to no agent session:
 * `KERNEL_AUDIT_ANOMALY` (chain gaps, tamper found on read, signing quorum lost and restored,
 * FROST ceremonies and reshares) and kernel events such as CAP Profile refusals and
 * activations. Opened lazily, once per kernel instance.
 */
export class KernelJournal {
  private readonly log: AuditLog;
  private readonly open: () => Promise<{ session_id: string; block_id: string }>;
  private session: { session_id: string; block_id: string } | null = null;

  constructor(log: AuditLog, open: () => Promise<{ session_id: string; block_id: string }>) {
    this.log = log;
    this.open = open;
  }

  /** Appends a KERNEL_AUDIT_ANOMALY record; never throws (an anomaly must not hide the original error). */
  async anomaly(eventType: string, fields: Record<string, Json>): Promise<void> {
    try {
      await this.recordAnomaly(eventType, fields);
    } catch {
      // the store is failing too: SUSPENDED_GAR is already set by the audit log
    }
  }

  /** Appends a KERNEL_AUDIT_ANOMALY record (severity CRITICAL unless `fields` say otherwise); rejects if it cannot. */
  async recordAnomaly(eventType: string, fields: Record<string, Json>): Promise<void> {
    await this.record('KERNEL_AUDIT_ANOMALY', { event_type: eventType, severity: 'CRITICAL', ...fields });
  }

  /** Appends a kernel event and resolves once it is durable; throws (GAR_UNAVAILABLE) if it cannot be written. */
  async record(aleType: string, fields: Record<string, Json>): Promise<void> {
    // the session object, not a shared promise: workerd requests may not await each other
    this.session ??= await this.open();
    await this.log.append(this.session, aleType, fields);
  }
}
