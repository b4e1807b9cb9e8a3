/**
 * The AMD SEV-SNP attestation report (SEV-SNP ABI specification, publication 56860, Table 22
 * "ATTESTATION_REPORT structure"): 1184 bytes, little-endian. The signature (ECDSA P-384 with
 * SHA-384, by the VCEK or VLEK) covers bytes 0x000–0x29F; r and s are 72-byte little-endian
 * integers at 0x2A0 and 0x2E8.
 */
import { DomainError } from '../errors.ts';
import { toHex } from '../hex.ts';

export const SNP_REPORT_SIZE = 0x4a0;
/** Bytes the report signature covers. */
export const SNP_SIGNED_SIZE = 0x2a0;

/** A TCB version as the firmware packs it (u64): the security version of each component. */
export type SnpTcb = { bootloader: number; tee: number; snp: number; microcode: number; raw: string };

export type SnpReport = {
  kind: 'sev-snp';
  version: number;
  guest_svn: number;
  /** Guest policy (u64, hex): ABI minor/major, SMT, migration agent, debug, single socket… */
  policy: string;
  /** Whether the policy allows debugging (bit 19): such a guest's memory is readable by the host. */
  debug_allowed: boolean;
  family_id: string;
  image_id: string;
  vmpl: number;
  signature_algo: number;
  current_tcb: SnpTcb;
  platform_info: string;
  /** Bits 4:2 of the key-info word: 0 = VCEK signed, 1 = VLEK signed, 7 = no key. */
  signing_key: 'vcek' | 'vlek' | 'none' | 'reserved';
  report_data: string;
  /** The launch digest (SHA-384) of the guest: what was loaded. */
  measurement: string;
  host_data: string;
  id_key_digest: string;
  author_key_digest: string;
  report_id: string;
  report_id_ma: string;
  reported_tcb: SnpTcb;
  chip_id: string;
  committed_tcb: SnpTcb;
  launch_tcb: SnpTcb;
};

/** The parsed report with the bytes its signature covers and the signature as r || s big-endian (P1363, 96 bytes). */
export type SnpParsed = { report: SnpReport; signed: Uint8Array; signatureP1363: Uint8Array };

const hex = (b: Uint8Array, at: number, len: number) => toHex(b.subarray(at, at + len));

function u64hex(view: DataView, at: number): string {
  return view.getBigUint64(at, true).toString(16).padStart(16, '0');
}

function tcb(view: DataView, at: number): SnpTcb {
  // Milan/Genoa layout: boot_loader [7:0], tee [15:8], reserved, snp [55:48], microcode [63:56]
  return { bootloader: view.getUint8(at), tee: view.getUint8(at + 1), snp: view.getUint8(at + 6), microcode: view.getUint8(at + 7), raw: u64hex(view, at) };
}

/** 72-byte little-endian integer → 48-byte big-endian (P-384); the upper 24 bytes must be zero. */
function p384Component(le: Uint8Array): Uint8Array | null {
  if (le.subarray(48).some((b) => b !== 0)) return null;
  return Uint8Array.from(le.subarray(0, 48)).reverse();
}

export function parseSnpReport(bytes: Uint8Array): SnpParsed {
  if (bytes.length !== SNP_REPORT_SIZE) throw new DomainError('INVALID_INPUT', `an SEV-SNP report is ${SNP_REPORT_SIZE} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(0, true);
  if (version < 2 || version > 5) throw new DomainError('INVALID_INPUT', `SEV-SNP report version ${version} is not supported (2 to 5)`);
  const signatureAlgo = view.getUint32(0x34, true);
  if (signatureAlgo !== 1) throw new DomainError('INVALID_INPUT', `SEV-SNP report signature algorithm ${signatureAlgo} is not ECDSA P-384 with SHA-384 (1)`);
  const r = p384Component(bytes.subarray(0x2a0, 0x2a0 + 72));
  const s = p384Component(bytes.subarray(0x2e8, 0x2e8 + 72));
  if (!r || !s) throw new DomainError('INVALID_INPUT', 'SEV-SNP report signature components exceed 384 bits');
  const keyInfo = view.getUint32(0x48, true);
  const keySel = (keyInfo >> 2) & 7;
  const signingKey = keySel === 0 ? 'vcek' : keySel === 1 ? 'vlek' : keySel === 7 ? 'none' : 'reserved';
  const policy = view.getBigUint64(8, true);
  const report: SnpReport = {
    kind: 'sev-snp',
    version,
    guest_svn: view.getUint32(4, true),
    policy: policy.toString(16).padStart(16, '0'),
    debug_allowed: ((policy >> 19n) & 1n) === 1n,
    family_id: hex(bytes, 0x10, 16),
    image_id: hex(bytes, 0x20, 16),
    vmpl: view.getUint32(0x30, true),
    signature_algo: signatureAlgo,
    current_tcb: tcb(view, 0x38),
    platform_info: u64hex(view, 0x40),
    signing_key: signingKey,
    report_data: hex(bytes, 0x50, 64),
    measurement: hex(bytes, 0x90, 48),
    host_data: hex(bytes, 0xc0, 32),
    id_key_digest: hex(bytes, 0xe0, 48),
    author_key_digest: hex(bytes, 0x110, 48),
    report_id: hex(bytes, 0x140, 32),
    report_id_ma: hex(bytes, 0x160, 32),
    reported_tcb: tcb(view, 0x180),
    chip_id: hex(bytes, 0x1a0, 64),
    committed_tcb: tcb(view, 0x1e0),
    launch_tcb: tcb(view, 0x1f0),
  };
  const signatureP1363 = new Uint8Array(96);
  signatureP1363.set(r, 0);
  signatureP1363.set(s, 48);
  return { report, signed: bytes.slice(0, SNP_SIGNED_SIZE), signatureP1363 };
}
