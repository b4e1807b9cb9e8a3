import type { MetricsSnapshot } from '../kernel/kernel.ts';
import type { KernelCondition, KernelStateName } from '../kernel/state/kernel-state.ts';

/** The Prometheus text exposition format this renders (`Content-Type` of `GET /metrics`). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const STATES: readonly KernelStateName[] = ['NORMAL', 'MANIFEST_INTEGRITY_FAILURE', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED'];
const CONDITIONS: readonly KernelCondition[] = ['MANIFEST_INTEGRITY_FAILURE', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED'];

/**
 * Renders the kernel's counters in the Prometheus text exposition format 0.0.4: one `# HELP`
 * and `# TYPE` line per family, then its samples; a histogram's buckets are cumulative and end
 * with `le="+Inf"`, equal to `_count`.
 */
export function renderMetrics(snap: MetricsSnapshot): string {
  const m = snap.metrics;
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: [string, Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [suffix, labels, value] of samples) out.push(`${name}${suffix}${labelText(labels)} ${num(value)}`);
  };
  family('kee_decisions_total', 'counter', 'Authorization decisions returned (each durably recorded), by decision.', [
    ['', { decision: 'PERMIT' }, m.decisions.PERMIT],
    ['', { decision: 'DENY' }, m.decisions.DENY],
  ]);
  family('kee_authorize_errors_total', 'counter', 'Authorize calls that returned an error instead of decisions (nothing recorded, nothing decided).', [['', {}, m.authorizeErrors]]);
  const h = m.latencySnapshot();
  family('kee_authorize_duration_seconds', 'histogram', 'Time from an authorize call (single, batch or one-shot) to its durable records.', [
    ...h.buckets.map((le, i): [string, Record<string, string>, number] => ['_bucket', { le: num(le) }, h.counts[i] ?? 0]),
    ['_bucket', { le: '+Inf' }, h.count],
    ['_sum', {}, h.sum],
    ['_count', {}, h.count],
  ]);
  family('kee_audit_records_total', 'counter', 'Audit records made durable.', [['', {}, m.auditRecords]]);
  family('kee_audit_batches_total', 'counter', 'Audit store transactions that committed records (group commit batches).', [['', {}, m.auditBatches]]);
  family(
    'kee_kernel_state',
    'gauge',
    'The kernel state reported by /healthz: 1 for the current one, 0 for the others.',
    STATES.map((s) => ['', { state: s }, snap.state.state === s ? 1 : 0]),
  );
  family(
    'kee_kernel_condition',
    'gauge',
    'Fail-closed conditions in force (several may hold at once): 1 when in force.',
    CONDITIONS.map((c) => ['', { condition: c }, snap.state.conditions.some((x) => x.state === c) ? 1 : 0]),
  );
  family('kee_cap_profile_version', 'gauge', 'Version of the active CAP Profile (0: the built-in profile).', [
    ['', { cap_profile_id: snap.capProfile.id, cedar_policy_hash: snap.capProfile.cedarPolicyHash }, snap.capProfile.version],
  ]);
  family('kee_sessions_open', 'gauge', 'Sessions open (found open in the store at start, plus opened since, minus completed).', [['', {}, m.sessionsOpen]]);
  family('kee_one_shot_sessions_open', 'gauge', 'Kernel-managed sessions open for one-shot decisions (POST /v1/authorize).', [['', {}, snap.oneShotSessionsOpen]]);
  return `${out.join('\n')}\n`;
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

/** Go's float formatting as Prometheus writes it: integers without a point, `+Inf`, `NaN`. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
