/**
 * Vendor signature chains of TEE evidence (issue 21), with Node's built-in X.509 (OpenSSL's
 * `X509Certificate`: issuer checks, RSA-PSS and ECDSA signatures, validity dates) — no X.509 by
 * hand, no extra package:
 *
 * - SEV-SNP: the report's ECDSA P-384/SHA-384 signature by the VCEK (or VLEK) certificate, that
 *   certificate issued and signed by the ASK, the ASK by the ARK, the ARK self-signed and one of
 *   the configured roots (AMD's ARK for the product line, e.g. Milan, Genoa).
 * - TDX quote v4: the quote's ECDSA P-256/SHA-256 signature by the attestation key, the QE
 *   report's report data = SHA-256(attestation key || QE auth data) || 32 zero bytes, the QE
 *   report signed by the PCK leaf, the PCK chain (leaf → platform/processor CA → root) ending in
 *   one of the configured roots (the Intel SGX Root CA).
 *
 * Roots come from `KEE_TEE_ROOTS` (a PEM file). Not checked here: CRLs and TCB status (Intel
 * PCS TCB Info / QE Identity, AMD KDS CRL); see docs/attestation.md.
 */
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SnpParsed } from '../kernel/attestation/snp-report.ts';
import type { TdxParsed } from '../kernel/attestation/tdx-quote.ts';
import { DomainError } from '../kernel/errors.ts';
import type { ChainResult, SnpCertificates, TeeChainVerifier } from '../ports/attestation.ts';

/** Every PEM certificate in `text`. */
export function pemCertificates(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

export async function loadTeeRoots(path: string): Promise<X509Certificate[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new DomainError('INVALID_INPUT', `KEE_TEE_ROOTS \`${path}\` cannot be read`);
  }
  let roots: X509Certificate[];
  try {
    roots = pemCertificates(text);
  } catch {
    throw new DomainError('INVALID_INPUT', `KEE_TEE_ROOTS \`${path}\` holds a certificate that does not parse`);
  }
  if (roots.length === 0) throw new DomainError('INVALID_INPUT', `KEE_TEE_ROOTS \`${path}\` holds no PEM certificate`);
  return roots;
}

const subject = (c: X509Certificate) => c.subject.replace(/\n/g, ', ');

export class NodeTeeChainVerifier implements TeeChainVerifier {
  private readonly roots: readonly X509Certificate[];
  private readonly now: () => Date;

  constructor(roots: readonly X509Certificate[], now: () => Date = () => new Date()) {
    this.roots = roots;
    this.now = now;
  }

  async snp(report: SnpParsed, certs: SnpCertificates): Promise<ChainResult> {
    const leafDer = report.report.signing_key === 'vlek' ? certs.vlek : certs.vcek;
    if (!leafDer) return { ok: false, reason: `no ${report.report.signing_key.toUpperCase()} certificate: the host supplied no certificate table (auxblob)` };
    if (!certs.ask || !certs.ark) return { ok: false, reason: 'the certificate table lacks the ASK or ARK' };
    let chain: X509Certificate[];
    try {
      chain = [new X509Certificate(leafDer), new X509Certificate(certs.ask), new X509Certificate(certs.ark)];
    } catch {
      return { ok: false, reason: 'a certificate of the chain does not parse' };
    }
    const problem = this.chainProblem(chain);
    if (problem) return { ok: false, reason: problem };
    const ok = verify('sha384', report.signed, { key: (chain[0] as X509Certificate).publicKey, dsaEncoding: 'ieee-p1363' }, report.signatureP1363);
    if (!ok) return { ok: false, reason: 'the report signature does not verify under the VCEK' };
    return { ok: true, subjects: chain.map(subject) };
  }

  async tdx(q: TdxParsed): Promise<ChainResult> {
    if (!q.pckChainPem) return { ok: false, reason: 'the quote carries no PCK certificate chain (certification data type 5)' };
    let chain: X509Certificate[];
    try {
      chain = pemCertificates(q.pckChainPem);
    } catch {
      return { ok: false, reason: 'a PCK certificate does not parse' };
    }
    if (chain.length < 2) return { ok: false, reason: 'the PCK chain has fewer than two certificates' };
    const problem = this.chainProblem(chain);
    if (problem) return { ok: false, reason: problem };
    const pck = chain[0] as X509Certificate;
    if (!verify('sha256', q.qeReport, { key: pck.publicKey, dsaEncoding: 'ieee-p1363' }, q.qeReportSignature)) return { ok: false, reason: 'the QE report signature does not verify under the PCK certificate' };
    const bound = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
    if (!bound.equals(Buffer.from(q.qeReportData.subarray(0, 32))) || q.qeReportData.subarray(32).some((b) => b !== 0)) {
      return { ok: false, reason: 'the QE report does not bind the attestation key (SHA-256(attestation key || QE auth data))' };
    }
    const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    let key;
    try {
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(q.attestationKey.subarray(0, 32)), y: b64u(q.attestationKey.subarray(32)) }, format: 'jwk' });
    } catch {
      return { ok: false, reason: 'the attestation key is not a P-256 point' };
    }
    if (!verify('sha256', q.signed, { key, dsaEncoding: 'ieee-p1363' }, q.signature)) return { ok: false, reason: 'the quote signature does not verify under its attestation key' };
    return { ok: true, subjects: chain.map(subject) };
  }

  /** Each certificate issued and signed by the next, all valid now, the last self-signed and a configured root; null when sound. */
  chainProblem(chain: readonly X509Certificate[]): string | null {
    const now = this.now().getTime();
    for (const [i, c] of chain.entries()) {
      if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) return `certificate \`${subject(c)}\` is not valid now (${c.validFrom} to ${c.validTo})`;
      const issuer = chain[i + 1] ?? c;
      if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return `certificate \`${subject(c)}\` is not signed by \`${subject(issuer)}\``;
    }
    const top = chain[chain.length - 1] as X509Certificate;
    if (!this.roots.some((r) => r.fingerprint256 === top.fingerprint256)) return `the chain ends in \`${subject(top)}\`, which is not a configured root (KEE_TEE_ROOTS)`;
    return null;
  }
}
