/**
 * XPID derivations (digest §4.3) as the kernel sees them; the adapter (`adapters/uuid/xpid.ts`)
 * computes the UUIDv5s. Three families, never mixed: KEE §10 session/cross-principal XPIDs,
 * KIA §6.2 agent XPIDs (derived by the kernel only), MAD §6.1 sub-agent XPIDs.
 */
export type DeriveXpidInput = {
  initiating_kia_id: string;
  responding_kia_id: string;
  /** ISO 8601 UTC time at which the initiator received the responder's nonce. */
  initiated_at: string;
  initiating_nonce: string;
  responding_nonce: string;
};

export type XpidDerivationVersion = '1.0' | '1.1';

export interface XpidDeriver {
  /** The `xpid_derivation_version` of agent XPIDs, declared in the GEC Manifest. */
  readonly version: XpidDerivationVersion;
  /** KEE §10 `derive_xpid`. */
  deriveXpid(input: DeriveXpidInput): string;
  /** KIA §6.2 agent XPID from the kernel fingerprint and the registry entry hash (hex SHA-256 each). */
  deriveAgentXpid(kernelFingerprint: string, registryEntryHash: string): string;
  /** MAD §6.1 sub-agent XPID. */
  deriveSubAgentXpid(parentXpid: string, sacrId: string): string;
}
