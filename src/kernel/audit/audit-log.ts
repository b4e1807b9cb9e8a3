import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { AuditStore, StoredRecord } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { AuditRecord, Json, SessionStatus } from '../types.ts';
import { recordHash } from './chain.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export type AppendDeps = {
  store: AuditStore;
  merkle: Merkle;
  clock: Clock;
  telemetry: Telemetry;
  state: KernelState;
  kernelId: string;
};

export type SessionRef = { session_id: string; block_id: string };

/**
 * The GAR write path (P7): every record gets the next `ale_seq`, the kernel-clock timestamp and
 * `prev_span_hash` = SHA-256(JCS(previous record)), and is durable before `append` resolves.
 * A failed write puts the kernel in SUSPENDED_GAR and rejects with GAR_UNAVAILABLE; the next
 * successful write returns it to normal.
 */
export class AuditLog {
  private readonly mutex = new KeyedMutex();

  private readonly deps: AppendDeps;

  constructor(deps: AppendDeps) {
    this.deps = deps;
  }

  /** Builds the first record of a session (ale_seq 1, prev_span_hash null) without storing it. */
  firstRecord(session: SessionRef, aleType: string, fields: Record<string, Json>): { record: AuditRecord; stored: StoredRecord } {
    return this.build(session, aleType, fields, null);
  }

  /** Stores a session's first record together with the session row. */
  async createSession(write: () => Promise<void>, record: AuditRecord): Promise<void> {
    await this.write(record, write);
  }

  async append(session: SessionRef, aleType: string, fields: Record<string, Json>, status?: SessionStatus): Promise<AuditRecord> {
    return this.mutex.run(session.session_id, async () => {
      const last = await this.io(() => this.deps.store.lastRecord(session.session_id), false);
      const { record, stored } = this.build(session, aleType, fields, last);
      await this.write(record, () => this.deps.store.appendRecord(stored, status));
      return record;
    });
  }

  private build(
    session: SessionRef,
    aleType: string,
    fields: Record<string, Json>,
    last: StoredRecord | null,
  ): { record: AuditRecord; stored: StoredRecord } {
    const { merkle, clock, kernelId } = this.deps;
    const record: AuditRecord = {
      ...fields,
      ale_type: aleType,
      ale_seq: last ? last.aleSeq + 1 : 1,
      session_id: session.session_id,
      block_id: session.block_id,
      kernel_id: kernelId,
      timestamp: clock.nowIso(),
      prev_span_hash: last ? last.hash : null,
    };
    const canonical = merkle.canonicalize(record);
    return {
      record,
      stored: { sessionId: session.session_id, aleSeq: record.ale_seq, aleType, canonical, hash: recordHash(merkle, canonical) },
    };
  }

  private async write(record: AuditRecord, op: () => Promise<void>): Promise<void> {
    await this.deps.telemetry.span(
      'soos.gar.write',
      {
        traceId: record.block_id,
        attributes: {
          'soos.governance.ale_type': record.ale_type,
          'soos.governance.ale_seq': record.ale_seq,
          'soos.gar.prev_span_hash': record.prev_span_hash ?? '',
          'soos.gar.block_id': record.block_id,
          'soos.governance.session_id': record.session_id,
          'soos.governance.kernel_id': record.kernel_id,
        },
      },
      () => this.io(op, true),
    );
  }

  /**
   * Runs a store operation, translating failure into SUSPENDED_GAR + GAR_UNAVAILABLE. Only a
   * successful write ends SUSPENDED_GAR: a read proves nothing about durability.
   */
  async io<T>(op: () => Promise<T>, write: boolean): Promise<T> {
    try {
      const out = await op();
      if (write) this.deps.state.leave('SUSPENDED_GAR');
      return out;
    } catch (e) {
      if (isDomainError(e, 'CONFLICT')) throw e;
      this.deps.state.enter('SUSPENDED_GAR', 'audit store write failed');
      if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
      throw new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable; agent actions are suspended', { cause: e });
    }
  }
}
