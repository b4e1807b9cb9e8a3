/**
 * P3 (KEE-1 §4.3, digest 2.3 / 4.4): the kernel's side of the ACD handshake. For each query a
 * fresh `acd_session_id` (UUIDv4 from the CSPRNG, unique among this kernel's queries within the
 * validity window), ACD_QUERY_RECEIVED (ALE-056) before any check, the four checks in order,
 * then either the signed record with ACD_RECORD_ISSUED (ALE-057, the body's SHA-256 only) or
 * ACD_VALIDATION_FAILED (ALE-059) and nothing issued. The records go to the kernel journal with
 * `aep_session_id` = the AEP session, and while that session is open the same records are also
 * chained into it (digest 3.3: an ACD ALE belongs to its AEP session), so the session's own
 * signed block and audit package hold them with their inclusion proofs (Appendix A step 20).
 * A provider's report of its access decision is recorded as ACD_VALIDATION_PASSED (ALE-058) or
 * ACD_ACCESS_DENIED (ALE-062).
 */
import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { AuditStore } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { DomainError } from '../errors.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';
import { ACD_VALIDITY_DEFAULT_SECONDS, ACD_VALIDITY_MAX_SECONDS, MANIFEST_STALENESS_MAX_SECONDS, tierSummary, type AcdControl, type AcdOptions, type AcdRecord, type AcdRecordBody } from './acd-record.ts';
import { detachedCompact, detachedSigningInput } from './detached-jws.ts';
import { runFourChecks, type AcdSubject, type CheckDeps, type CheckNumber } from './four-checks.ts';
import type { RevocationKind } from '../credentials/revocations.ts';
import { IssuedAcdLog } from './issued-log.ts';

export type AcdServiceDeps = Omit<CheckDeps, 'nowMs' | 'manifestMaxAgeSeconds'> & {
  clock: Clock;
  merkle: Merkle;
  telemetry: Telemetry;
  journal: KernelJournal;
  /**
   * Appends a record to the AEP session's own chain if it is open (false: no open session, the
   * journal copy stands alone); rejects when the store fails.
   */
  sessionRecord?: (aepSessionId: string, aleType: string, fields: Record<string, Json>) => Promise<boolean>;
  /** The AEP session's facts, read now; null when there is no open session with that id. */
  subject: (aepSessionId: string) => Promise<AcdSubject | null>;
  /** Signs with the kernel's KIA key through the signing monitor (SIGNER_FAILED suspends signing). */
  sign: (message: Uint8Array) => Promise<Uint8Array>;
  /** Hash-lock of the manifest in force. */
  manifestLock: () => string | null;
  /** The controls the serving set enforces (its policies' `@cap_rrs_control_id`), read when a record is issued. */
  controls?: () => AcdControl[];
  /** The CAP Profile hash of the serving set (null for the built-in profile). */
  capProfileHash: () => string | null;
  options?: AcdOptions | undefined;
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /**
   * The start's four checks read the revocation registry once (`refreshRevocations`) and look up
   * each id in what it read (`revokedLoaded`), not once per lookup; absent: `revoked` each time.
   */
  refreshRevocations?: () => Promise<void>;
  /**
   * The start's Check 2: the serving set's hash from its text, where an engine may give again
   * the hash it computed for exactly the same text (a Worker hashes its built-in set at global
   * scope, `src/entry/worker-app.ts`); absent: `freshPolicyHash`. Handshakes always parse again.
   */
  startupPolicyHash?: () => string;
  revokedLoaded?: (kind: RevocationKind, id: string) => boolean;
};

/** A passing handshake: the exact body served (JCS) and what ALE-057 holds. */
export type AcdIssued = { ok: true; record: AcdRecord; body: string; recordHash: string };
/** A failing handshake: the 403 body of digest 2.3 item 4. */
export type AcdRefused = { ok: false; body: { error: 'ACD_CHECK_FAILED'; failed_check: CheckNumber; acd_session_id: string; timestamp: string } };

/** A provider's report of what it did with a record (`POST /v1/acd/{acd_session_id}/grant`). */
export type AcdGrantReport =
  | { decision: 'GRANTED'; confirmation_basis?: 'NOTIFIED' | 'INFERRED' }
  | { decision: 'DENIED'; denial_reason: 'FOUR_CHECK_FAILED' | 'LAYER_INSPECTION_FAILED' | 'EXPIRED' | 'XPID_MISMATCH'; failed_layer?: 1 | 2 | 3; failed_field?: string };

const utf8 = new TextEncoder();
/** Most `acd_session_id`s remembered for the uniqueness check; the oldest beyond are forgotten. */
const MAX_REMEMBERED = 100_000;

export class AcdService {
  private readonly d: AcdServiceDeps;
  private readonly maxAge: number;
  private readonly validity: number;
  /** Query ids seen within the validity window -> expiry (ms), for the uniqueness check. */
  private readonly seen = new Map<string, number>();
  /** Issued records (stored): grant reports refer to them. */
  private readonly issued: IssuedAcdLog;

  constructor(deps: AcdServiceDeps) {
    this.d = deps;
    const o = deps.options ?? {};
    this.maxAge = o.manifestMaxAgeSeconds ?? MANIFEST_STALENESS_MAX_SECONDS;
    this.validity = o.validitySeconds ?? ACD_VALIDITY_DEFAULT_SECONDS;
    if (!(Number.isInteger(this.maxAge) && this.maxAge > 0 && this.maxAge <= MANIFEST_STALENESS_MAX_SECONDS)) {
      throw new DomainError('INVALID_INPUT', `the ACD manifest staleness window must be 1 to ${MANIFEST_STALENESS_MAX_SECONDS} seconds, not ${this.maxAge}`);
    }
    if (!(Number.isInteger(this.validity) && this.validity > 0 && this.validity <= ACD_VALIDITY_MAX_SECONDS)) {
      throw new DomainError('INVALID_INPUT', `the ACD record validity must be 1 to ${ACD_VALIDITY_MAX_SECONDS} seconds, not ${this.validity}`);
    }
    this.issued = new IssuedAcdLog({ store: deps.store, io: deps.io, nowMs: () => Date.parse(deps.clock.nowIso()), validitySeconds: this.validity });
  }

  /** At start: the issued records still within the validity window. */
  load(): Promise<void> {
    return this.issued.load();
  }

  private checkDeps(): CheckDeps {
    return { ...this.d, nowMs: () => Date.parse(this.d.clock.nowIso()), manifestMaxAgeSeconds: this.maxAge };
  }

  /**
   * The four checks once at start (KEE-1 Appendix A step 2), without an agent: Check 4 confirms
   * only that the revocation registry can be read. Returns null, or why it failed.
   */
  async startupCheck(): Promise<{ failedCheck: CheckNumber; reason: string } | null> {
    const deps = this.checkDeps();
    const { refreshRevocations, revokedLoaded, startupPolicyHash } = this.d;
    if (startupPolicyHash) deps.freshPolicyHash = startupPolicyHash;
    if (refreshRevocations && revokedLoaded) {
      // one registry read for the three lookups (a D1 round trip each on a Worker's start),
      // started now, beside Check 1's re-read of the stored manifest rather than after it
      const read = refreshRevocations();
      read.catch(() => undefined);
      deps.revoked = async (kind, id) => {
        await read;
        return revokedLoaded(kind, id);
      };
    }
    const r = await runFourChecks(deps, undefined);
    return r.ok ? null : { failedCheck: r.failedCheck, reason: r.reason };
  }

  /** One handshake for `aepSessionId`, asked by `providerId` (null under KEE_AUTH=none). */
  async handshake(aepSessionId: string, providerId: string | null): Promise<AcdIssued | AcdRefused> {
    const { clock, telemetry } = this.d;
    const acdSessionId = this.newAcdSessionId();
    const subject = await this.d.subject(aepSessionId);
    const xpid = subject?.agent ? urnXpid(subject.agent.xpid) : null;
    const requestTimestamp = clock.nowIso();
    const attributes = {
      'soos.acd.session_id': acdSessionId,
      'soos.governance.kernel_id': this.d.kernelId,
      'soos.governance.session_id': aepSessionId,
      ...(providerId ? { 'soos.acd.resource_provider_id': providerId } : {}),
      ...(xpid ? { 'soos.governance.xpid': xpid } : {}),
    };
    return telemetry.span('soos.acd.handshake', { ...(subject ? { traceId: subject.block_id } : {}), attributes }, async (span) => {
      // ALE-056 before any check: no record is issued unless this is durable
      await this.record('ACD_QUERY_RECEIVED', { ale_number: 'ALE-056', aep_session_id: aepSessionId, acd_session_id: acdSessionId, resource_provider_id: providerId, request_timestamp: requestTimestamp, agent_xpid: xpid });
      const checks = await runFourChecks(this.checkDeps(), subject);
      if (!checks.ok) {
        span.setAttributes({ 'soos.acd.check_seq': checks.checkSeq, 'soos.acd.validation_result': 'FAIL', 'soos.acd.failed_check': checks.failedCheck });
        return this.refuse(aepSessionId, acdSessionId, providerId, checks.failedCheck, checks.reason);
      }
      const s = subject as AcdSubject & { agent: NonNullable<AcdSubject['agent']> };
      const now = clock.nowIso();
      const nowMs = Date.parse(now);
      const p = this.d.options?.profile ?? {};
      const body: AcdRecordBody = {
        acd_session_id: acdSessionId,
        agent_xpid: urnXpid(s.agent.xpid),
        governing_law: p.governing_law ?? null,
        primary_jurisdiction: p.primary_jurisdiction ?? null,
        jurisdictions: p.jurisdictions ?? [],
        terms_of_use_uri: p.terms_of_use_uri ?? null,
        liability_scope: p.liability_scope ?? 'OPERATOR',
        acd_validity_not_before: now,
        acd_validity_not_after: new Date(nowMs + this.validity * 1000).toISOString(),
        cap_profile_id: checks.policy.capProfileId,
        cap_profile_hash: this.d.capProfileHash(),
        prohibition_tier_summary: tierSummary(checks.policy.tiers),
        cap_rrs_controls: this.d.controls?.() ?? [],
        gec_manifest_ref: `urn:soos:gec-manifest:${this.d.kernelId}:${this.d.manifestLock() ?? checks.manifest.manifest_id}`,
        cedar_policy_hash: checks.cedarPolicyHash,
        cap_enforcement_attestation: p.cap_enforcement_attestation ?? null,
        hem_status: p.hem_status ?? 'SUSPENDED',
        ptd_endpoint: p.ptd_endpoint ?? null,
        operator_id: p.operator_id ?? null,
        deployer_id: p.deployer_id ?? null,
        principal_hierarchy_summary: { agent_id: s.agent_id, parents: s.agent.parents },
        redress_uri: p.redress_uri ?? null,
        human_escalation_path: p.human_escalation_path ?? 'NOT_AVAILABLE',
        gar_audit_endpoint: p.gar_audit_endpoint ?? null,
        gar_sar_ref: null,
        acd_timestamp: now,
        delegation_chain_depth: 0,
        parent_kernel_id: null,
        mandate_scope_type: 'FULL',
        mjwt_jti: s.mandate_jti,
        aep_session_id: aepSessionId,
      };
      const signing = detachedSigningInput(body, this.d.kernelId);
      let signature: Uint8Array;
      try {
        signature = await this.d.sign(signing.input);
      } catch (e) {
        // the KIA key cannot sign now: quorum is not held (Check 3), nothing is issued
        span.setAttributes({ 'soos.acd.check_seq': '1:PASS,2:PASS,3:FAIL', 'soos.acd.validation_result': 'FAIL', 'soos.acd.failed_check': 3 });
        return this.refuse(aepSessionId, acdSessionId, providerId, 3, `the KIA key could not sign: ${e instanceof Error ? e.message : String(e)}`);
      }
      const record: AcdRecord = { ...body, gec_signature: detachedCompact(signing.header, signature) };
      // served as JCS too: the body ALE-057 hashes is byte for byte the body the provider gets
      const served = canonicalJson(record);
      const recordHash = toHex(this.d.merkle.sha256(utf8.encode(served)));
      await this.issued.add({ acd_session_id: acdSessionId, aep_session_id: aepSessionId, resource_provider_id: providerId, acd_record_hash: recordHash, acd_validity_not_after: body.acd_validity_not_after }, now);
      await this.record('ACD_RECORD_ISSUED', {
        ale_number: 'ALE-057',
        aep_session_id: aepSessionId,
        acd_session_id: acdSessionId,
        acd_record_hash: recordHash,
        kia_key_id: this.d.kernelId,
        acd_validity_not_after: body.acd_validity_not_after,
        mjwt_jti: body.mjwt_jti,
        resource_provider_id: providerId,
      });
      span.setAttributes({ 'soos.acd.check_seq': checks.checkSeq, 'soos.acd.validation_result': 'PASS', 'soos.acd.record_hash': recordHash });
      return { ok: true, record, body: served, recordHash };
    });
  }

  /**
   * Records a provider's access decision on an issued record: ALE-058 ACD_VALIDATION_PASSED
   * (granted) or ALE-062 ACD_ACCESS_DENIED. NOT_FOUND for an id no kernel on this store issued
   * (within the validity window at the last start), FORBIDDEN when another provider asked for it.
   */
  async grant(acdSessionId: string, providerId: string | null, report: AcdGrantReport): Promise<{ acd_session_id: string; recorded: 'ACD_VALIDATION_PASSED' | 'ACD_ACCESS_DENIED'; timestamp: string }> {
    const entry = await this.issued.find(acdSessionId);
    if (!entry) throw new DomainError('NOT_FOUND', `no ACD Record \`${acdSessionId.slice(0, 64)}\` was issued by this kernel`);
    if (entry.resource_provider_id !== null && entry.resource_provider_id !== providerId) throw new DomainError('FORBIDDEN', 'this ACD Record was issued to another resource provider');
    const timestamp = this.d.clock.nowIso();
    const common: Record<string, Json> = { aep_session_id: entry.aep_session_id, acd_session_id: acdSessionId, resource_provider_id: providerId };
    if (report.decision === 'GRANTED') {
      await this.record('ACD_VALIDATION_PASSED', { ale_number: 'ALE-058', ...common, validation_timestamp: timestamp, confirmation_basis: report.confirmation_basis ?? 'NOTIFIED' });
      return { acd_session_id: acdSessionId, recorded: 'ACD_VALIDATION_PASSED', timestamp };
    }
    await this.record('ACD_ACCESS_DENIED', {
      ale_number: 'ALE-062',
      ...common,
      denial_reason: report.denial_reason,
      failed_layer: report.failed_layer ?? null,
      failed_field: report.failed_field ?? null,
      failure_timestamp: timestamp,
    });
    return { acd_session_id: acdSessionId, recorded: 'ACD_ACCESS_DENIED', timestamp };
  }

  /**
   * An ACD ALE: in the kernel journal (always), and in the AEP session's chain while it is open,
   * so the session's package holds its ACD records. Both durable before the caller goes on.
   */
  private async record(aleType: string, fields: Record<string, Json>): Promise<void> {
    await this.d.journal.record(aleType, fields);
    const sid = fields.aep_session_id;
    if (typeof sid === 'string' && this.d.sessionRecord) await this.d.sessionRecord(sid, aleType, fields);
  }

  private async refuse(aepSessionId: string, acdSessionId: string, providerId: string | null, n: CheckNumber, reason: string): Promise<AcdRefused> {
    const timestamp = this.d.clock.nowIso();
    await this.record('ACD_VALIDATION_FAILED', {
      ale_number: 'ALE-059',
      aep_session_id: aepSessionId,
      acd_session_id: acdSessionId,
      failed_check: n,
      ...(n === 3 ? { failed_field: 'gec_signature' } : {}),
      reason,
      resource_provider_id: providerId,
      failure_timestamp: timestamp,
    });
    return { ok: false, body: { error: 'ACD_CHECK_FAILED', failed_check: n, acd_session_id: acdSessionId, timestamp } };
  }

  /**
   * A CSPRNG UUIDv4 not handed out by this kernel within the validity window, nor named by an
   * issued record stored within it (by this kernel before a restart, or another instance on the
   * store: the stored records, read at start and on each grant report, persist the uniqueness).
   */
  private newAcdSessionId(): string {
    const now = Date.parse(this.d.clock.nowIso());
    for (;;) {
      const id = crypto.randomUUID();
      const until = this.seen.get(id);
      if ((until !== undefined && until > now) || this.issued.has(id)) continue;
      this.remember(this.seen, id, now + this.validity * 1000);
      return id;
    }
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > MAX_REMEMBERED) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }
}

/** `urn:soos:xpid:uuid:<uuid>` (choice 5.27: the URN form only in ACD `agent_xpid`). */
export function urnXpid(xpid: string): string {
  return `urn:soos:xpid:uuid:${xpid}`;
}
