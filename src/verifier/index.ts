/**
 * `kee/verifier`: the resource provider's side of Kee intent-bound credentials
 * (docs/credentials.md). Web APIs, `jose` and `@noble/hashes` only: runs unchanged on workerd,
 * Node, Bun and Deno alike.
 */
export { createCredentialVerifier, CREDENTIAL_TTL_SECONDS, CREDENTIAL_TYP } from './verify-credential.ts';
export type { CredentialClaims, CredentialVerifierOptions, RefusalCode, Verification } from './verify-credential.ts';
export { intentFingerprint, type Intent } from './intent.ts';
export type { HolderProof } from './holder-proof.ts';
export { keeCredential, type KeeCredentialVariables } from './hono.ts';
export { AcdRecordCache, ACD_MEDIA_TYPE, fetchAcdRecord, reportAcdDecision, validateAcdRecord } from './acd.ts';
export type { AcdRecord, AcdRefusal, AcdRequirements, AcdValidation, AcdValidationInput, ProviderAuth } from './acd.ts';
export { acdRequirementsFromRegistry, fetchPartyRegistry, kernelKeyFromRegistry, providerEntry, verifyPartyRegistry } from './party-registry.ts';
export type { PartyRegistryBody, PartyRegistryProvider, PartyRegistryRefusal, VerifiedPartyRegistry } from './party-registry.ts';
