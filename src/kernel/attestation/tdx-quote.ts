/**
 * The Intel TDX quote, version 4 (Intel TDX DCAP Quote Generation Library and Quote Verification
 * Library API, "Quote Format"): a 48-byte header, the 584-byte TD report body, then the ECDSA
 * quote signature data. Little-endian integers.
 *
 * Signature data (attestation key type 2, ECDSA-256 with P-256): the quote signature (r || s,
 * 64 bytes, over header || body) by the attestation key (64 bytes, x || y), then certification
 * data of type 6: the Quoting Enclave's report (an SGX report body, 384 bytes), its signature by
 * the PCK key (64 bytes), the QE authentication data, and nested certification data of type 5:
 * the PCK certificate chain (PEM, leaf first) up to the Intel SGX Root CA. The QE report's
 * report data starts with SHA-256(attestation key || QE authentication data).
 */
import { DomainError } from '../errors.ts';
import { toHex } from '../hex.ts';

const HEADER = 48;
const BODY = 584;
const SGX_REPORT = 384;

export type TdxQuote = {
  kind: 'tdx';
  version: 4;
  tee_type: number;
  qe_vendor_id: string;
  tee_tcb_svn: string;
  mr_seam: string;
  mr_signer_seam: string;
  seam_attributes: string;
  td_attributes: string;
  /** Whether TD_ATTRIBUTES.DEBUG (bit 0) is set: such a TD is not protected from the host. */
  debug_allowed: boolean;
  xfam: string;
  /** The TD's build-time measurement (SHA-384). */
  mr_td: string;
  mr_config_id: string;
  mr_owner: string;
  mr_owner_config: string;
  rtmr: [string, string, string, string];
  report_data: string;
};

export type TdxParsed = {
  quote: TdxQuote;
  /** header || body: what the attestation key signs. */
  signed: Uint8Array;
  /** r || s, 64 bytes. */
  signature: Uint8Array;
  /** Uncompressed point without its 0x04 prefix: x || y. */
  attestationKey: Uint8Array;
  /** The QE report body (384 bytes), signed by the PCK leaf key. */
  qeReport: Uint8Array;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** The QE report's 64-byte report data. */
  qeReportData: Uint8Array;
  /** The PCK certificate chain carried in the quote (PEM text), or null when the quote carries another certification type. */
  pckChainPem: string | null;
};

const hex = (b: Uint8Array, at: number, len: number) => toHex(b.subarray(at, at + len));
const latin1 = new TextDecoder('latin1');

function need(bytes: Uint8Array, end: number, what: string): void {
  if (end > bytes.length) throw new DomainError('INVALID_INPUT', `TDX quote truncated: ${what} runs past its ${bytes.length} bytes`);
}

export function parseTdxQuote(bytes: Uint8Array): TdxParsed {
  need(bytes, HEADER + BODY + 4, 'the header and TD report');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(0, true);
  if (version !== 4) throw new DomainError('INVALID_INPUT', `TDX quote version ${version} is not supported (4)`);
  const keyType = view.getUint16(2, true);
  if (keyType !== 2) throw new DomainError('INVALID_INPUT', `TDX quote attestation key type ${keyType} is not ECDSA P-256 (2)`);
  const teeType = view.getUint32(4, true);
  if (teeType !== 0x81) throw new DomainError('INVALID_INPUT', `quote TEE type 0x${teeType.toString(16)} is not TDX (0x81)`);
  const b = HEADER;
  const tdAttributes = bytes.subarray(b + 120, b + 128);
  const quote: TdxQuote = {
    kind: 'tdx',
    version: 4,
    tee_type: teeType,
    qe_vendor_id: hex(bytes, 12, 16),
    tee_tcb_svn: hex(bytes, b, 16),
    mr_seam: hex(bytes, b + 16, 48),
    mr_signer_seam: hex(bytes, b + 64, 48),
    seam_attributes: hex(bytes, b + 112, 8),
    td_attributes: toHex(tdAttributes),
    debug_allowed: ((tdAttributes[0] as number) & 1) === 1,
    xfam: hex(bytes, b + 128, 8),
    mr_td: hex(bytes, b + 136, 48),
    mr_config_id: hex(bytes, b + 184, 48),
    mr_owner: hex(bytes, b + 232, 48),
    mr_owner_config: hex(bytes, b + 280, 48),
    rtmr: [hex(bytes, b + 328, 48), hex(bytes, b + 376, 48), hex(bytes, b + 424, 48), hex(bytes, b + 472, 48)],
    report_data: hex(bytes, b + 520, 64),
  };
  let at = HEADER + BODY;
  const sigLen = view.getUint32(at, true);
  at += 4;
  need(bytes, at + sigLen, 'the signature data');
  const end = at + sigLen;
  need(bytes, at + 64 + 64 + 6, 'the quote signature');
  const signature = bytes.slice(at, at + 64);
  const attestationKey = bytes.slice(at + 64, at + 128);
  at += 128;
  const certType = view.getUint16(at, true);
  const certSize = view.getUint32(at + 2, true);
  at += 6;
  if (certType !== 6) throw new DomainError('INVALID_INPUT', `TDX quote certification data type ${certType} is not the QE report certification data (6)`);
  if (at + certSize > end) throw new DomainError('INVALID_INPUT', 'TDX quote truncated: the certification data runs past the signature data');
  need(bytes, at + SGX_REPORT + 64 + 2, 'the QE report');
  const qeReport = bytes.slice(at, at + SGX_REPORT);
  const qeReportSignature = bytes.slice(at + SGX_REPORT, at + SGX_REPORT + 64);
  at += SGX_REPORT + 64;
  const authLen = view.getUint16(at, true);
  at += 2;
  need(bytes, at + authLen + 6, 'the QE authentication data');
  const qeAuthData = bytes.slice(at, at + authLen);
  at += authLen;
  const innerType = view.getUint16(at, true);
  const innerSize = view.getUint32(at + 2, true);
  at += 6;
  if (at + innerSize > end) throw new DomainError('INVALID_INPUT', 'TDX quote truncated: the PCK certification data runs past the signature data');
  const pckChainPem = innerType === 5 ? latin1.decode(bytes.subarray(at, at + innerSize)).replace(/\0+$/, '') : null;
  return { quote, signed: bytes.slice(0, HEADER + BODY), signature, attestationKey, qeReport, qeReportSignature, qeAuthData, qeReportData: qeReport.slice(320, 384), pckChainPem };
}
