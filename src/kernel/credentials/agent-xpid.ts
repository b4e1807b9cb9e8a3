import type { XpidDeriver } from '../../ports/xpid.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';

/**
 * The agent XPID a credential names as `sub` (digest §4.3 family 2, KIA §6.2): UUIDv5 of the
 * kernel key id and the hash of the agent's Party Registry entry.
 *
 * A registered agent's credentials name the XPID the registry derived from its real entry (see
 * `CredentialIssuer`). For a session agent that is not registered (no agent authentication yet),
 * the "registry entry" is `{"agent_id": <session agent_id>}`, hashed as hex SHA-256 of its JCS.
 */
export function sessionAgentXpid(xpid: XpidDeriver, sha256: (bytes: Uint8Array) => Uint8Array, kernelId: string, agentId: string): string {
  const entryHash = toHex(sha256(new TextEncoder().encode(canonicalJson({ agent_id: agentId }))));
  return xpid.deriveAgentXpid(kernelId, entryHash);
}
