import type { ConformanceLevel } from '../manifest/manifest.ts';

/**
 * Official law-publication schemes a Tier 1 control's `@authority_source_uri` may use in a
 * government profile (digest 4.8, KEE §8.3): the authoritative text, publicly resolvable.
 * Host, and path prefix where the host also serves other things.
 */
export const OFFICIAL_AUTHORITY_SOURCES: readonly { host: string; pathPrefix: string; name: string }[] = [
  { host: 'elaws.e-gov.go.jp', pathPrefix: '/', name: 'e-Gov law search (Japan)' },
  { host: 'laws.e-gov.go.jp', pathPrefix: '/', name: 'e-Gov laws and LRI (Japan)' },
  { host: 'eur-lex.europa.eu', pathPrefix: '/', name: 'EUR-Lex (European Union)' },
  { host: 'data.europa.eu', pathPrefix: '/eli/', name: 'European Legislation Identifier (European Union)' },
  { host: 'uscode.house.gov', pathPrefix: '/', name: 'United States Code' },
];

/** Whether `uri` is an https URI of one of the official law-publication schemes. */
export function isOfficialAuthorityUri(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  return OFFICIAL_AUTHORITY_SOURCES.some((s) => u.hostname === s.host && u.pathname.startsWith(s.pathPrefix));
}

/** Tier 1 policies of a set whose `@authority_source_uri` is missing or not from an official scheme (their ids). */
export function unofficialTier1(policies: readonly { id: string | null; annotations: Record<string, string> }[]): string[] {
  return policies.filter((p) => p.annotations.tier === '1' && !isOfficialAuthorityUri(p.annotations.authority_source_uri ?? '')).map((p) => p.id ?? '');
}

/** The conformance a deployment declares, and whether a development switch lets it run a profile it does not qualify for. */
export type DeploymentConformance = {
  level: ConformanceLevel;
  /** `KEE_ALLOW_NONCONFORMANT=1`: a government profile is accepted below KEE1-L3; the manifest says so. */
  allowNonconformant: boolean;
};

/** The level a government profile requires (digest 4.8: nothing lower qualifies). */
export const GOVERNMENT_LEVEL: ConformanceLevel = 'KEE1-L3';

/** Why a deployment of `conformance` running a government profile is non-conformant, or null. */
export function governmentNonconformance(conformance: DeploymentConformance): string | null {
  if (conformance.level === GOVERNMENT_LEVEL) return null;
  return `government CAP Profile on a ${conformance.level} deployment: it requires ${GOVERNMENT_LEVEL} (accepted under KEE_ALLOW_NONCONFORMANT=1, for development only)`;
}
