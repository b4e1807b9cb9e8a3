import type { Json } from '../kernel/types.ts';

/**
 * An operator alert (KEE-1 §7.4: quorum loss is notified within 60 s with the available count,
 * t and the ETA if known). Sinks deliver it out of band (stderr line, webhook); they must not
 * throw and should return quickly.
 */
export type OperatorAlert = {
  alert: 'SIGNING_QUORUM_LOST' | 'SIGNING_QUORUM_RESTORED' | 'SIGNING_DEGRADED' | 'FROST_INVALID_SHARE' | 'POLICY_CLUSTER_UPDATE_REFUSED';
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
