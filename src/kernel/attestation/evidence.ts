/**
 * TEE attestation evidence from a signer sidecar (issue 21, KEE-1 L2 "TEE attestation report as
 * a Manifest field", digest 2.9 / 3.1), and its verification.
 *
 * A sidecar answers `POST /v1/attestation {nonce}` with an `AttestationAnswer`: the evidence its
 * provider produced for report data SHA-512(nonce || identity key), where the identity key is the
 * sidecar's long-term Ed25519 key, and the answer signed by that key (so the evidence is bound to
 * a key whose holder answered now, not merely to public bytes). `verifyAnswer` checks, in order:
 * the shape, the nonce, the identity signature, the report's structure (SEV-SNP report or TDX
 * quote v4), the report-data binding, that the guest is not debuggable, and — when a
 * `TeeChainVerifier` is given — the vendor signature chain (SNP: VCEK → ASK → ARK; TDX: quote →
 * attestation key → QE report → PCK chain → Intel SGX Root CA). Any failure is `failed` with a
 * one-line reason; nothing is trusted that did not verify.
 */
import type { SignatureVerifier } from '../../ports/signer.ts';
import type { SnpCertificates, TeeChainVerifier } from '../../ports/attestation.ts';
import { fromHex, toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { parseSnpReport } from './snp-report.ts';
import { parseTdxQuote } from './tdx-quote.ts';
import { parseSnpCertTable } from './snp-certs.ts';

/** Provider names a sidecar may answer with. */
export const ATTESTATION_PROVIDERS = ['configfs-tsm', 'none'] as const;
export type AttestationProvider = (typeof ATTESTATION_PROVIDERS)[number];

/** Domain separation of the identity signature over an answer. */
export const ANSWER_SIGNATURE_CONTEXT = 'kee-attestation/1';

/** What a sidecar answers (`POST /v1/attestation`). */
export type AttestationAnswer = {
  provider: AttestationProvider;
  /** The configfs-tsm `provider` file: `sev_guest`, `tdx_guest` (absent for `none`). */
  tsm_provider?: string;
  /** The `outblob`, base64 (absent for `none`). */
  evidence?: string;
  /** The `auxblob` (SEV-SNP: the host's certificate table with VCEK, ASK, ARK), base64, when the host supplies one. */
  auxblob?: string;
  /** The nonce the request carried (hex). */
  nonce: string;
  /** The sidecar's Ed25519 identity public key (hex). */
  identity_key: string;
  /** Ed25519 by the identity key over `kee-attestation/1` || JCS(answer without `signature`) (hex). */
  signature: string;
};

/** The fields a verifier extracted, as the Manifest carries them. */
export type AttestationMeasurement =
  | { kind: 'sev-snp'; measurement: string; report_data: string; policy: string; host_data: string; vmpl: number; reported_tcb: string; committed_tcb: string; launch_tcb: string; chip_id: string; signing_key: string }
  | { kind: 'tdx'; mr_td: string; rtmr: string[]; mr_seam: string; mr_config_id: string; mr_owner: string; td_attributes: string; tee_tcb_svn: string; xfam: string; report_data: string };

/** One sidecar's attestation as the Manifest declares it (`tee_attestation[]`). */
export type TeeAttestationEntry = {
  participant: number;
  provider: AttestationProvider | 'unreachable';
  tsm_provider?: string;
  nonce: string;
  identity_key?: string;
  /** The raw evidence (base64), so a relying party can re-verify it. */
  evidence?: string;
  /** `verified`: binding, structure and (see `chain`) signatures hold; `no_evidence`: provider `none`; `failed`: see `reason`. */
  status: 'verified' | 'no_evidence' | 'failed';
  /** Whether the vendor signature chain was verified up to a configured root. */
  chain: 'verified' | 'not_checked';
  /** The chain's subjects, leaf first, when verified. */
  chain_subjects?: string[];
  reason?: string;
  report?: AttestationMeasurement;
};

export type VerifyDeps = {
  ed25519: SignatureVerifier;
  /** Vendor signature chains; without it the chain is `not_checked` (and the level cannot be L2). */
  chain?: TeeChainVerifier;
};

const utf8 = new TextEncoder();

/** SHA-512(nonce || key): the report data a sidecar's evidence must carry. */
export async function bindingReportData(nonce: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
  const joined = new Uint8Array(nonce.length + key.length);
  joined.set(nonce, 0);
  joined.set(key, nonce.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-512', joined));
}

/** The bytes the identity key signs for an answer. */
export function answerSigningInput(answer: Omit<AttestationAnswer, 'signature'>): Uint8Array {
  const { signature: _s, ...rest } = answer as AttestationAnswer;
  return utf8.encode(`${ANSWER_SIGNATURE_CONTEXT}\n${canonicalJson(rest)}`);
}

export function base64ToBytes(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(b: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

function shape(x: unknown): AttestationAnswer | string {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'the answer is not a JSON object';
  const a = x as Record<string, unknown>;
  const allowed = new Set(['provider', 'tsm_provider', 'evidence', 'auxblob', 'nonce', 'identity_key', 'signature']);
  const extra = Object.keys(a).filter((k) => !allowed.has(k));
  if (extra.length > 0) return `unknown field \`${extra[0]}\``;
  if (typeof a.provider !== 'string' || !(ATTESTATION_PROVIDERS as readonly string[]).includes(a.provider)) return `provider \`${String(a.provider).slice(0, 40)}\` is not one of ${ATTESTATION_PROVIDERS.join(', ')}`;
  for (const k of ['nonce', 'identity_key', 'signature'] as const) if (typeof a[k] !== 'string' || !/^[0-9a-f]+$/.test(a[k] as string)) return `\`${k}\` is not lowercase hex`;
  for (const k of ['tsm_provider', 'evidence', 'auxblob'] as const) if (a[k] !== undefined && typeof a[k] !== 'string') return `\`${k}\` is not a string`;
  return a as AttestationAnswer;
}

/**
 * Verifies one sidecar's answer to `nonce`. `identityKey`, when known (pinned), must be the one
 * the answer names. Never throws for bad evidence: the entry says `failed` and why.
 */
export async function verifyAnswer(participant: number, raw: unknown, nonce: Uint8Array, deps: VerifyDeps, identityKey?: Uint8Array): Promise<TeeAttestationEntry> {
  const nonceHex = toHex(nonce);
  const base = { participant, nonce: nonceHex, chain: 'not_checked' as const };
  const answer = shape(raw);
  if (typeof answer === 'string') return { ...base, provider: 'unreachable', status: 'failed', reason: `malformed attestation answer: ${answer}` };
  const entry: TeeAttestationEntry = {
    ...base,
    provider: answer.provider,
    ...(answer.tsm_provider !== undefined ? { tsm_provider: answer.tsm_provider } : {}),
    identity_key: answer.identity_key,
    ...(answer.evidence !== undefined ? { evidence: answer.evidence } : {}),
    status: 'failed',
  };
  const fail = (reason: string): TeeAttestationEntry => ({ ...entry, status: 'failed', reason });
  if (answer.nonce !== nonceHex) return fail('the answer is for another nonce (replayed or stale evidence)');
  const key = fromHex(answer.identity_key);
  if (!key || key.length !== 32) return fail('`identity_key` is not 32 bytes');
  if (identityKey && toHex(identityKey) !== answer.identity_key) return fail(`identity key ${answer.identity_key} is not the one pinned for participant ${participant}`);
  const sig = fromHex(answer.signature);
  if (!sig || sig.length !== 64 || !deps.ed25519.verify(sig, answerSigningInput(answer), key)) return fail('the identity signature over the answer does not verify');
  if (answer.provider === 'none') return { ...entry, status: 'no_evidence', reason: 'the sidecar runs without a TEE provider (`none`)' };
  const evidence = answer.evidence === undefined ? null : base64ToBytes(answer.evidence);
  if (!evidence || evidence.length === 0) return fail('provider `configfs-tsm` sent no evidence');
  const expected = toHex(await bindingReportData(nonce, key));
  try {
    if (answer.tsm_provider === 'sev_guest') {
      const parsed = parseSnpReport(evidence);
      const r = parsed.report;
      const report: AttestationMeasurement = { kind: 'sev-snp', measurement: r.measurement, report_data: r.report_data, policy: r.policy, host_data: r.host_data, vmpl: r.vmpl, reported_tcb: r.reported_tcb.raw, committed_tcb: r.committed_tcb.raw, launch_tcb: r.launch_tcb.raw, chip_id: r.chip_id, signing_key: r.signing_key };
      const withReport = { ...entry, report };
      if (r.report_data !== expected) return { ...withReport, status: 'failed', reason: 'report data does not bind the nonce and identity key (SHA-512(nonce || identity_key))' };
      if (r.debug_allowed) return { ...withReport, status: 'failed', reason: 'the guest policy allows debugging: its memory is readable by the host' };
      if (!deps.chain) return { ...withReport, status: 'verified' };
      let certs: SnpCertificates = {};
      if (answer.auxblob !== undefined) {
        const aux = base64ToBytes(answer.auxblob);
        if (!aux) return { ...withReport, status: 'failed', reason: '`auxblob` is not base64' };
        certs = parseSnpCertTable(aux);
      }
      const chain = await deps.chain.snp(parsed, certs);
      if (!chain.ok) return { ...withReport, status: 'failed', reason: `SEV-SNP signature chain: ${chain.reason}` };
      return { ...withReport, status: 'verified', chain: 'verified', chain_subjects: chain.subjects };
    }
    if (answer.tsm_provider === 'tdx_guest') {
      const parsed = parseTdxQuote(evidence);
      const q = parsed.quote;
      const report: AttestationMeasurement = { kind: 'tdx', mr_td: q.mr_td, rtmr: [...q.rtmr], mr_seam: q.mr_seam, mr_config_id: q.mr_config_id, mr_owner: q.mr_owner, td_attributes: q.td_attributes, tee_tcb_svn: q.tee_tcb_svn, xfam: q.xfam, report_data: q.report_data };
      const withReport = { ...entry, report };
      if (q.report_data !== expected) return { ...withReport, status: 'failed', reason: 'report data does not bind the nonce and identity key (SHA-512(nonce || identity_key))' };
      if (q.debug_allowed) return { ...withReport, status: 'failed', reason: 'TD_ATTRIBUTES.DEBUG is set: the TD is not protected from the host' };
      if (!deps.chain) return { ...withReport, status: 'verified' };
      const chain = await deps.chain.tdx(parsed);
      if (!chain.ok) return { ...withReport, status: 'failed', reason: `TDX signature chain: ${chain.reason}` };
      return { ...withReport, status: 'verified', chain: 'verified', chain_subjects: chain.subjects };
    }
    return fail(`configfs-tsm provider \`${String(answer.tsm_provider).slice(0, 40)}\` is not supported (sev_guest, tdx_guest)`);
  } catch (e) {
    if (isDomainError(e)) return fail(e.message);
    throw e;
  }
}

/** What `inspectEvidence` found in a raw report or quote. */
export type EvidenceInspection = {
  kind: 'sev-snp' | 'tdx';
  report: AttestationMeasurement;
  /** `ok` / `mismatch` against the expected report data, `not_checked` when none was given. */
  binding: 'ok' | 'mismatch' | 'not_checked';
  debug_allowed: boolean;
  chain: { status: 'verified'; subjects: string[] } | { status: 'failed'; reason: string } | { status: 'not_checked' };
  /** verified: parsed, binding ok, not debuggable, chain verified. */
  verified: boolean;
};

/** Which format raw evidence is: the SEV-SNP report's size and version, or the TDX quote's header. */
export function detectEvidence(bytes: Uint8Array): 'sev_guest' | 'tdx_guest' | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 8 && view.getUint16(0, true) === 4 && view.getUint32(4, true) === 0x81) return 'tdx_guest';
  if (bytes.length === 0x4a0 && view.getUint32(0, true) >= 2 && view.getUint32(0, true) <= 5) return 'sev_guest';
  return null;
}

/**
 * The library function behind `kee attest verify`: parses a raw SEV-SNP report or TDX quote
 * (format detected unless `tsmProvider` says), checks the report data against `expectedReportData`
 * (e.g. `bindingReportData(nonce, key)`), and the vendor chain when `chain` is given. Rejects
 * (INVALID_INPUT) only when the bytes are neither format.
 */
export async function inspectEvidence(
  bytes: Uint8Array,
  opts: { tsmProvider?: string; expectedReportData?: Uint8Array; auxblob?: Uint8Array; chain?: TeeChainVerifier } = {},
): Promise<EvidenceInspection> {
  const kind = opts.tsmProvider ?? detectEvidence(bytes);
  const expected = opts.expectedReportData ? toHex(opts.expectedReportData) : null;
  const binding = (rd: string) => (expected === null ? 'not_checked' : rd === expected ? 'ok' : 'mismatch') as EvidenceInspection['binding'];
  const done = (i: Omit<EvidenceInspection, 'verified'>): EvidenceInspection => ({ ...i, verified: i.binding === 'ok' && !i.debug_allowed && i.chain.status === 'verified' });
  if (kind === 'sev_guest') {
    const parsed = parseSnpReport(bytes);
    const r = parsed.report;
    const report: AttestationMeasurement = { kind: 'sev-snp', measurement: r.measurement, report_data: r.report_data, policy: r.policy, host_data: r.host_data, vmpl: r.vmpl, reported_tcb: r.reported_tcb.raw, committed_tcb: r.committed_tcb.raw, launch_tcb: r.launch_tcb.raw, chip_id: r.chip_id, signing_key: r.signing_key };
    const chain = opts.chain ? await opts.chain.snp(parsed, opts.auxblob ? parseSnpCertTable(opts.auxblob) : {}) : null;
    return done({ kind: 'sev-snp', report, binding: binding(r.report_data), debug_allowed: r.debug_allowed, chain: chain === null ? { status: 'not_checked' } : chain.ok ? { status: 'verified', subjects: chain.subjects } : { status: 'failed', reason: chain.reason } });
  }
  if (kind === 'tdx_guest') {
    const parsed = parseTdxQuote(bytes);
    const q = parsed.quote;
    const report: AttestationMeasurement = { kind: 'tdx', mr_td: q.mr_td, rtmr: [...q.rtmr], mr_seam: q.mr_seam, mr_config_id: q.mr_config_id, mr_owner: q.mr_owner, td_attributes: q.td_attributes, tee_tcb_svn: q.tee_tcb_svn, xfam: q.xfam, report_data: q.report_data };
    const chain = opts.chain ? await opts.chain.tdx(parsed) : null;
    return done({ kind: 'tdx', report, binding: binding(q.report_data), debug_allowed: q.debug_allowed, chain: chain === null ? { status: 'not_checked' } : chain.ok ? { status: 'verified', subjects: chain.subjects } : { status: 'failed', reason: chain.reason } });
  }
  throw new DomainError('INVALID_INPUT', `the evidence is neither an SEV-SNP report (${0x4a0} bytes, version 2 to 5) nor a TDX quote v4${kind ? ` (provider \`${String(kind).slice(0, 40)}\`)` : ''}`);
}
