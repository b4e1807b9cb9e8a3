/**
 * TEE attestation ports (issue 21): the vendor signature chains of SEV-SNP reports and TDX
 * quotes need X.509, which the kernel does not parse itself; an entry supplies it (Node's
 * built-in `X509Certificate`, src/entry/tee-chain.ts).
 */
import type { SnpParsed } from '../kernel/attestation/snp-report.ts';
import type { TdxParsed } from '../kernel/attestation/tdx-quote.ts';

/** DER certificates of an SEV-SNP chain (from the report's certificate table or the operator). */
export type SnpCertificates = { vcek?: Uint8Array; vlek?: Uint8Array; ask?: Uint8Array; ark?: Uint8Array };

export type ChainResult = { ok: true; subjects: string[] } | { ok: false; reason: string };

export interface TeeChainVerifier {
  /** The report's signature by the VCEK (or VLEK), and VCEK → ASK → ARK with the ARK one of the configured roots. */
  snp(report: SnpParsed, certs: SnpCertificates): Promise<ChainResult>;
  /** The quote's signature by its attestation key, the QE report by the PCK leaf, and the PCK chain to a configured Intel root. */
  tdx(quote: TdxParsed): Promise<ChainResult>;
}

/** What a TEE provider returns for 64 bytes of report data. */
export type TeeReport = { tsmProvider: string; outblob: Uint8Array; auxblob?: Uint8Array };

/** A sidecar's source of evidence (`configfs-tsm`; `none` has no report). */
export interface TeeReportProvider {
  readonly name: 'configfs-tsm';
  report(reportData: Uint8Array): Promise<TeeReport>;
}
