import type { AlertSink } from '../../ports/alert.ts';
import type { KernelJournal } from '../audit/journal.ts';

/** A committed value this node refused, as the cluster node reports it. */
export type ClusterRefusal = { mod_revision: string; version: number | null; cap_profile_id: string | null; reason: string; code: string };

/**
 * KEE §12.1: a committed update this node refuses is ALE-NEW-02 in the kernel journal
 * (`KERNEL_AUDIT_ANOMALY` `CLUSTER_UPDATE_REFUSED`, CRITICAL) and a critical operator alert.
 * Never throws: the refusal stands whatever the journal or the sink does.
 */
export async function reportClusterRefusal(d: { journal: KernelJournal; alerts: AlertSink | undefined; kernelId: string; at: string }, f: ClusterRefusal): Promise<void> {
  await d.journal.anomaly('CLUSTER_UPDATE_REFUSED', { severity: 'CRITICAL', ale_number: 'ALE-NEW-02', ...f });
  try {
    await d.alerts?.alert({
      alert: 'POLICY_CLUSTER_UPDATE_REFUSED',
      severity: 'critical',
      at: d.at,
      kernel_id: d.kernelId,
      threshold: null,
      participants: null,
      available_count: null,
      unavailable_participants: [],
      culprit_participants: [],
      eta: null,
      detail: `the policy cluster committed an update this kernel refuses (${f.code}): ${f.reason}; every decision is denied until a valid update is committed`,
    });
  } catch {
    // an alert sink must not undo the refusal
  }
}
