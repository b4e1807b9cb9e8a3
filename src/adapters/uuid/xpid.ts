/**
 * The three XPID derivations of the KEE-1 digest §4.3, kept apart because they answer different
 * questions: who two parties are to each other in one interaction (KEE §10, family 1), which
 * registered agent acts under which kernel (KIA §6.2, family 2), and which sub-agent a parent
 * spawned (MAD §6.1, family 3). All are UUIDv5 (SHA-1, RFC 9562 §5.5) through the `uuid` package:
 * deterministic, no state, no I/O. Vectors: digest Appendix T (`xpid.test.ts`).
 */
import { v5 as uuidv5 } from 'uuid';
import type { DeriveXpidInput, XpidDerivationVersion, XpidDeriver } from '../../ports/xpid.ts';

/** SOOS namespace of KEE §10 XPIDs (KEE-01 §14.3). */
export const SOOS_NAMESPACE = 'bcab38fe-febf-4632-8fc9-2a23cb9e4ee3';
/** KIA agent XPID namespaces by `xpid_derivation_version`: v1.0 (KIA-03) and v1.1 (KIA-06). */
export const KIA_XPID_NAMESPACES = { '1.0': '6ba7b814-9dad-11d1-80b4-00c04fd430c8', '1.1': '447994dc-9ddf-578f-a851-3a77d8f7ae42' } as const;
/** The derivation version this kernel uses for agent XPIDs, declared in its GEC Manifest. */
export const XPID_DERIVATION_VERSION: XpidDerivationVersion = '1.1';

/**
 * KEE §10 `derive_xpid`: UUIDv5(SOOS_NS, UTF-8(a|b|c|d|e)) with a literal `|` between the five
 * strings. The nonces must be fresh from a CSPRNG right before the call (the caller's duty).
 */
export function deriveXpid(input: DeriveXpidInput): string {
  const parts = [input.initiating_kia_id, input.responding_kia_id, input.initiated_at, input.initiating_nonce, input.responding_nonce];
  return uuidv5(parts.join('|'), SOOS_NAMESPACE);
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * KIA §6.2 agent XPID: UUIDv5(namespace of `version`, fingerprint + ":" + registry entry hash),
 * both inputs lowercase hex SHA-256 (the kernel key's fingerprint; the hash of the agent's Party
 * Registry entry over its canonical JSON). Derived by the kernel only.
 */
export function deriveAgentXpid(kernelFingerprint: string, registryEntryHash: string, version: XpidDerivationVersion = XPID_DERIVATION_VERSION): string {
  if (!HEX_SHA256.test(kernelFingerprint)) throw new TypeError('kernel fingerprint must be lowercase hex SHA-256');
  if (!HEX_SHA256.test(registryEntryHash)) throw new TypeError('registry entry hash must be lowercase hex SHA-256');
  return uuidv5(`${kernelFingerprint}:${registryEntryHash}`, KIA_XPID_NAMESPACES[version]);
}

/** MAD §6.1 sub-agent XPID: UUIDv5(KIA namespace, parent XPID + ":" + SACR id). */
export function deriveSubAgentXpid(parentXpid: string, sacrId: string, version: XpidDerivationVersion = XPID_DERIVATION_VERSION): string {
  return uuidv5(`${parentXpid}:${sacrId}`, KIA_XPID_NAMESPACES[version]);
}

/** The `XpidDeriver` port over these functions, for agent XPIDs of `version` (default 1.1). */
export function uuidXpidDeriver(version: XpidDerivationVersion = XPID_DERIVATION_VERSION): XpidDeriver {
  return {
    version,
    deriveXpid,
    deriveAgentXpid: (fingerprint, entryHash) => deriveAgentXpid(fingerprint, entryHash, version),
    deriveSubAgentXpid: (parent, sacr) => deriveSubAgentXpid(parent, sacr, version),
  };
}
