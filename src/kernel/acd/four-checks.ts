/**
 * The KEE-1 P3 four-check sequence (digest 2.3, 4.4), in order, stopping at the first failure.
 * Every input is read when the check runs: the manifest is re-verified, the policy hash is
 * recomputed from the serving set, revocations are read from the registry brought up to date.
 */
import type { ActivePolicySet } from '../../ports/policy.ts';
import { isDomainError } from '../errors.ts';
import type { GecManifest } from '../manifest/manifest.ts';
import type { RevocationKind } from '../credentials/revocations.ts';
import type { KernelState } from '../state/kernel-state.ts';

export type CheckNumber = 1 | 2 | 3 | 4;

/** The AEP session an ACD Record is asked for, as the kernel knows it (null: no open session). */
export type AcdSubject = {
  session_id: string;
  block_id: string;
  agent_id: string;
  /** The registered agent's XPID (bare UUID), its status and parents; undefined when not registered. */
  agent?: { xpid: string; status: string; parents: { type: string; id: string }[] };
  /** The session token `jti` (KEE_AUTH=agents), or null. */
  mandate_jti: string | null;
};

export type CheckDeps = {
  state: KernelState;
  nowMs: () => number;
  /** The manifest in force, fully re-verified (rejects in MANIFEST_INTEGRITY_FAILURE). */
  manifest: () => Promise<GecManifest>;
  manifestMaxAgeSeconds: number;
  /** The serving set's facts, read now. */
  livePolicy: () => ActivePolicySet;
  /** SHA-256 of the canonical serving set, computed now from the set's own text (never cached). */
  freshPolicyHash: () => string;
  /** The active CAP Profile's `cedar_policy_hash` (what the profile declares). */
  profilePolicyHash: () => string;
  revoked: (kind: RevocationKind, id: string) => Promise<boolean>;
  /** Null unless a revocation signal may be pending: why revocation status cannot be confirmed now (an SSF stream silent past its bound). */
  unconfirmed?: () => string | null;
  /** Null while the kernel's signing quorum is held; otherwise why not. */
  quorumProblem: () => Promise<string | null>;
  kernelId: string;
  /** KEE_AUTH=agents: the session must carry a mandate (`jti`). */
  mandateRequired: boolean;
};

/** The passing facts a record is built from. */
export type ChecksPassed = { ok: true; manifest: GecManifest; policy: ActivePolicySet; cedarPolicyHash: string; checkSeq: string };
export type CheckFailed = { ok: false; failedCheck: CheckNumber; reason: string; checkSeq: string };

const seq = (passed: number, failed?: number) =>
  [1, 2, 3, 4].filter((n) => n <= passed || n === failed).map((n) => `${n}:${n === failed ? 'FAIL' : 'PASS'}`).join(',');

/**
 * Runs checks 1-4 for `subject` (undefined at start: Check 4 then only confirms the registry
 * can be read). `soos.acd.check_seq` format: `"1:PASS,2:PASS,3:FAIL"` (choice 5.16).
 */
export async function runFourChecks(d: CheckDeps, subject: AcdSubject | null | undefined): Promise<ChecksPassed | CheckFailed> {
  const fail = (n: CheckNumber, reason: string): CheckFailed => ({ ok: false, failedCheck: n, reason, checkSeq: seq(n - 1, n) });
  // Check 1: the manifest in force verifies, is not revoked, and is inside the staleness window
  let manifest: GecManifest;
  try {
    manifest = await d.manifest();
  } catch (e) {
    // the store is down: no check can be recorded either (503 GAR_UNAVAILABLE, SUSPENDED_GAR)
    if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
    return fail(1, `the GEC Manifest does not verify: ${isDomainError(e) ? e.message : 'unreadable'}`);
  }
  const age = (d.nowMs() - Date.parse(manifest.issued_at)) / 1000;
  if (!(age <= d.manifestMaxAgeSeconds)) return fail(1, `the GEC Manifest \`${manifest.manifest_id}\` is ${Math.floor(age)} s old (window ${d.manifestMaxAgeSeconds} s)`);
  try {
    if (await d.revoked('GEC_MANIFEST', manifest.manifest_id)) return fail(1, `the GEC Manifest \`${manifest.manifest_id}\` is revoked`);
  } catch (e) {
    if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
    return fail(1, 'the revocation registry cannot be read: the manifest status is unknown');
  }
  // Check 2: the serving set, hashed now, is the one the active profile and the manifest declare
  if (d.state.has('DENY_ALL')) return fail(2, `the kernel is in DENY_ALL: ${d.state.reason('DENY_ALL') ?? ''}`);
  const policy = d.livePolicy();
  let fresh: string;
  try {
    fresh = d.freshPolicyHash();
  } catch (e) {
    return fail(2, `the serving policy set cannot be hashed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (fresh !== d.profilePolicyHash()) return fail(2, `the serving policy set hashes to ${fresh}, the active cap profile declares ${d.profilePolicyHash()}`);
  if (fresh !== manifest.cedar_policy_hash) return fail(2, `the serving policy set hashes to ${fresh}, the manifest declares ${manifest.cedar_policy_hash}`);
  // Check 3: the kernel's KIA key (single or FROST group) is not revoked and can sign
  try {
    if (await d.revoked('KIA_KEY', d.kernelId)) return fail(3, `the kernel key \`${d.kernelId}\` is revoked`);
  } catch (e) {
    if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
    return fail(3, 'the revocation registry cannot be read: the kernel key status is unknown');
  }
  const quorum = await d.quorumProblem();
  if (quorum !== null) return fail(3, quorum);
  // Check 4: the agent's XPID and the session's mandate are not revoked
  if (subject !== undefined) {
    if (subject === null) return fail(4, 'no open AEP session with that id: its agent cannot be confirmed');
    const agent = subject.agent;
    if (!agent) return fail(4, `agent \`${subject.agent_id}\` is not registered: it has no XPID whose status can be confirmed`);
    if (agent.status !== 'ACTIVE') return fail(4, `agent \`${subject.agent_id}\` is ${agent.status}`);
    if (d.mandateRequired && subject.mandate_jti === null) return fail(4, 'the session has no mandate (session token) whose status can be confirmed');
    try {
      if (await d.revoked('XPID', agent.xpid)) return fail(4, `the agent XPID ${agent.xpid} is revoked`);
      if (subject.mandate_jti !== null && (await d.revoked('MANDATE_JTI', subject.mandate_jti))) return fail(4, `the session mandate \`${subject.mandate_jti}\` is revoked`);
      // a CAEP signal may be on its way: nothing confirms the agent is unrevoked
      const pending = d.unconfirmed?.() ?? null;
      if (pending !== null) return fail(4, `revocation status cannot be confirmed: ${pending}`);
    } catch (e) {
      if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
      return fail(4, 'the revocation registry cannot be read: the agent status is unknown');
    }
  } else {
    try {
      await d.revoked('XPID', '');
    } catch (e) {
      if (isDomainError(e, 'GAR_UNAVAILABLE')) throw e;
      return fail(4, 'the revocation registry cannot be read');
    }
  }
  return { ok: true, manifest, policy, cedarPolicyHash: fresh, checkSeq: seq(4) };
}
