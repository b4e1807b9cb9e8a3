/**
 * RGP `acd_required` (digest glossary; KEE-1 Appendix A step 10): a resource provider declares
 * in its Party Registry entry that the resources it serves under some audiences need an ACD
 * Record, and the kernel honours it. The declaration is two members of the provider's registered
 * `attributes`: `acd_required: true` and `resource_audiences: ["https://…", …]` (the `audience`
 * a credential is asked for), or the same members of its entry in the signed KIA Party Registry. A request in a session naming such an audience is DENIED
 * (`ACD_REQUIRED`) unless, in that session, the provider validated an ACD Record the kernel
 * issued and reported it GRANTED (ALE-058 in the session's chain) and that record is still valid.
 */
import type { Agent } from '../agents/agent-registry.ts';
import type { StoredRecord } from '../../ports/storage.ts';
import type { PartyRegistryProvider } from '../party-registry/body.ts';
import { RESOURCE_PROVIDER_ROLE } from './acd-record.ts';

/** The registered attribute that declares the ACD requirement. */
export const ACD_REQUIRED_ATTRIBUTE = 'acd_required';
/** The registered attribute listing the audiences the declaration covers. */
export const RESOURCE_AUDIENCES_ATTRIBUTE = 'resource_audiences';

/**
 * The providers that declare `acd_required` for `audience`, sorted: the ACTIVE resource providers
 * of the agent registry, and every provider entry of the signed KIA Party Registry
 * (docs/party-registry.md; its `provider_id` is the agent id the provider reports grants as).
 */
export function providersRequiringAcd(agents: readonly Agent[], audience: string, registry: readonly PartyRegistryProvider[] = []): string[] {
  const ids = new Set(
    agents
      .filter((a) => {
        const attrs = a.entry.attributes;
        const audiences = attrs[RESOURCE_AUDIENCES_ATTRIBUTE];
        return a.status === 'ACTIVE' && a.entry.roles.includes(RESOURCE_PROVIDER_ROLE) && attrs[ACD_REQUIRED_ATTRIBUTE] === true && Array.isArray(audiences) && audiences.includes(audience);
      })
      .map((a) => a.agent_id),
  );
  for (const p of registry) if (p.acd_required && p.resource_audiences.includes(audience)) ids.add(p.provider_id);
  return [...ids].sort();
}

/**
 * The providers that granted access on a still-valid ACD Record in this session, read from the
 * session's own chain: ACD_RECORD_ISSUED (its `acd_validity_not_after`) and the last report on
 * it (ACD_VALIDATION_PASSED grants, ACD_ACCESS_DENIED withdraws).
 */
export function grantingProviders(records: readonly StoredRecord[], nowMs: number): Set<string> {
  const validUntil = new Map<string, number>();
  const grantedBy = new Map<string, string | null>();
  for (const s of records) {
    if (s.aleType !== 'ACD_RECORD_ISSUED' && s.aleType !== 'ACD_VALIDATION_PASSED' && s.aleType !== 'ACD_ACCESS_DENIED') continue;
    const r = JSON.parse(s.canonical) as Record<string, unknown>;
    const id = String(r.acd_session_id);
    if (s.aleType === 'ACD_RECORD_ISSUED') validUntil.set(id, Date.parse(String(r.acd_validity_not_after)));
    else grantedBy.set(id, s.aleType === 'ACD_VALIDATION_PASSED' && typeof r.resource_provider_id === 'string' ? r.resource_provider_id : null);
  }
  const out = new Set<string>();
  for (const [id, provider] of grantedBy) {
    const until = validUntil.get(id);
    if (provider !== null && until !== undefined && nowMs < until) out.add(provider);
  }
  return out;
}

/** The refusal reason for a request to `audience`, or null when every provider requiring an ACD Record granted one. */
export function acdRefusal(audience: string, requiring: readonly string[], granted: ReadonlySet<string>): string | null {
  const missing = requiring.filter((p) => !granted.has(p));
  if (missing.length === 0) return null;
  return `ACD_REQUIRED: resource provider ${missing.map((p) => `\`${p}\``).join(', ')} declares acd_required for audience ${JSON.stringify(audience)}; no ACD Record it validated (ALE-058) is in force in this session`;
}

/**
 * The gate for one call: for the audiences these requests name, which providers require an ACD
 * Record and which granted one in this session (its own chain). Undefined when no request names
 * an audience, or none of them is covered by a declaration (the session's records are then not read).
 */
export async function acdGateFor(
  requests: readonly { audience?: string | undefined }[],
  read: { agents: () => Promise<readonly Agent[]>; registry?: () => Promise<readonly PartyRegistryProvider[]>; records: () => Promise<readonly StoredRecord[]>; nowMs: () => number },
): Promise<((audience: string) => string | null) | undefined> {
  if (!requests.some((r) => r.audience !== undefined)) return undefined;
  const [agents, registry] = await Promise.all([read.agents(), read.registry?.() ?? []]);
  const requiring = new Map<string, string[]>();
  for (const r of requests) if (r.audience !== undefined) requiring.set(r.audience, providersRequiringAcd(agents, r.audience, registry));
  if ([...requiring.values()].every((p) => p.length === 0)) return undefined;
  const granted = grantingProviders(await read.records(), read.nowMs());
  return (audience) => acdRefusal(audience, requiring.get(audience) ?? [], granted);
}
