import type { SpanAttributes } from '../../ports/telemetry.ts';
import type { GecManifest } from '../manifest/manifest.ts';
import type { Json } from '../types.ts';

/** The journal record of a kernel start (KEE-1 Appendix A steps 1-3). */
export const KERNEL_BOOT = 'KERNEL_BOOT';
/** The span of a kernel start (digest 3.7 names no span for it: a Kee choice, like the others there). */
export const KERNEL_BOOT_SPAN = 'soos.kernel.boot';

/** What a start established: the identity, the manifest it issued, and the startup four checks. */
export type BootFacts = {
  kernelId: string;
  /** The manifest this start issued (verified). */
  manifest: GecManifest;
  /** Its hash-lock: what sessions opened under it name as `manifest_hash`. */
  manifestHash: string | null;
  /** The startup four checks: null when all passed, else the first that failed. */
  startupCheck: { failedCheck: number; reason: string } | null;
  runtime: string;
  /** The kernel state after the checks (`NORMAL`, or a fail-closed state). */
  state: string;
};

/** `1:PASS,2:PASS,3:PASS,4:PASS`, or the checks up to the first that failed (`1:PASS,2:FAIL`). */
export function checkSeq(failed: BootFacts['startupCheck']): string {
  const upTo = failed ? failed.failedCheck : 4;
  return Array.from({ length: upTo }, (_, i) => `${i + 1}:${failed && i + 1 === upTo ? 'FAIL' : 'PASS'}`).join(',');
}

/**
 * The KERNEL_BOOT record: the kernel id (SHA-256 of the KIA key) and key, the manifest issued
 * (id, epoch, hash-lock, conformance level and exceptions, signing configuration), the CAP
 * Profile served, and the startup four checks, so a journal reader sees under which identity
 * and posture every later record was made.
 */
export function bootFields(f: BootFacts): Record<string, Json> {
  const m = f.manifest;
  return {
    kernel_id: f.kernelId,
    kernel_public_key: m.signing_config.public_key,
    signing_scheme: m.signing_config.scheme,
    deployment_constraints: [...m.deployment_constraints],
    manifest_id: m.manifest_id,
    manifest_epoch: m.epoch,
    manifest_hash: f.manifestHash,
    conformance_level: m.conformance_level,
    conformance_exceptions: [...(m.conformance_exceptions ?? [])],
    conformance_unmet: (m.conformance_unmet ?? []).map((u) => u.requirement),
    cap_profile_id: m.cap_profile_id,
    cap_profile_version: m.cap_profile_version,
    cap_profile_hash: m.cap_profile_hash ?? null,
    cedar_policy_hash: m.cedar_policy_hash,
    startup_check_seq: checkSeq(f.startupCheck),
    ...(f.startupCheck ? { startup_check_failure: f.startupCheck.reason } : {}),
    kernel_state: f.state,
    kernel_version: m.kernel_version,
    runtime: f.runtime,
  };
}

/** The `soos.kernel.boot` span attributes of a KERNEL_BOOT record. */
export function bootSpanAttributes(fields: Record<string, Json>): SpanAttributes {
  return {
    'soos.governance.kernel_id': String(fields.kernel_id),
    'soos.governance.cap_profile_id': String(fields.cap_profile_id),
    ...(typeof fields.cap_profile_hash === 'string' ? { 'soos.governance.cap_profile_hash': fields.cap_profile_hash } : {}),
    'soos.kernel.manifest_id': String(fields.manifest_id),
    ...(typeof fields.manifest_hash === 'string' ? { 'soos.kernel.manifest_hash': fields.manifest_hash } : {}),
    'soos.kernel.conformance_level': String(fields.conformance_level),
    'soos.kernel.startup_check_seq': String(fields.startup_check_seq),
    'soos.kernel.state': String(fields.kernel_state),
  };
}
