import type { Json } from '../kernel/types.ts';

/**
 * An operator alert (KEE-1 §7.4: quorum loss is notified within 60 s with the available count,
 * t and the ETA if known; approvers are notified of human escalations opened and resolved,
 * `escalation` then naming it and `eta` its expiry). Sinks deliver it out of band (stderr line, webhook); they must not
 * throw and should return quickly.
 */
export type OperatorAlert = {
  alert: 'SIGNING_QUORUM_LOST' | 'SIGNING_QUORUM_RESTORED' | 'SIGNING_DEGRADED' | 'FROST_INVALID_SHARE' | 'HEM_TRIGGERED' | 'HEM_RESOLVED' | 'REVOCATION_UNKNOWN' | 'REVOCATION_UNACKNOWLEDGED' | 'REVOCATION_STREAM_UNHEALTHY' | 'POLICY_CLUSTER_UPDATE_REFUSED';
  severity: 'critical' | 'warning' | 'info';
  at: string;
  kernel_id: string;
  threshold: number | null;
  participants: number | null;
  available_count: number | null;
  unavailable_participants: number[];
  culprit_participants: number[];
  /** When signing is expected back; null when unknown. */
  eta: string | null;
  detail: string;
  [field: string]: Json;
};

export interface AlertSink {
  alert(a: OperatorAlert): void | Promise<void>;
}
