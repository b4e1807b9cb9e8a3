/**
 * The gateway's CAP Profile in its embedded kernel (`profile` in the config, docs/mcp.md):
 * Cedar text is signed on first use with two of the data directory's development publisher keys
 * and submitted like any update (`PUT /v1/cap-profile`'s checks); a file already signed
 * (`kee policy sign`) is submitted as it is. A profile already active under the same id and
 * version is left alone; the same id and version with other policies is refused (bump the version).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addSignature } from '../adapters/jose/jws.ts';
import { buildCapProfileBody } from '../kernel/cap-profile/build-body.ts';
import { bareHash } from '../kernel/cap-profile/cap-profile.ts';
import { canonicalJson } from '../kernel/jcs.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { PolicyInspector } from '../ports/cap-profile.ts';
import type { GatewayConfig } from '../mcp/config.ts';
import { readPublisherKey } from './publisher-key-files.ts';

type Profile = NonNullable<GatewayConfig['profile']>;

export async function activateGatewayProfile(kernel: Kernel, inspector: PolicyInspector, dataDir: string, profile: Profile, resolvePath: (p: string) => string): Promise<string> {
  const active = kernel.activeCapProfile();
  if ('signed' in profile) {
    const file = resolvePath(profile.signed);
    const jws = JSON.parse(await readFile(file, 'utf8')) as { payload?: string };
    const body = JSON.parse(Buffer.from(String(jws.payload ?? ''), 'base64url').toString('utf8')) as { cap_profile_id?: string; version?: number };
    if (body.cap_profile_id === active.cap_profile_id && body.version === active.version) return `cap profile ${active.cap_profile_id} version ${active.version} is active`;
    const accepted = await kernel.submitCapProfile(jws);
    return `cap profile ${accepted.cap_profile_id} version ${accepted.version} activated from ${file}`;
  }
  const file = resolvePath(profile.cedar);
  const text = await readFile(file, 'utf8');
  if (profile.id === active.cap_profile_id && profile.version === active.version) {
    const inspection = inspector.inspect(text);
    if (inspection.type === 'success' && inspection.cedarPolicyHash === bareHash(active.cedar_policy_hash)) return `cap profile ${profile.id} version ${profile.version} is active`;
    throw new Error(`cap profile ${profile.id} version ${profile.version} is active with other policies than \`${file}\`: give the changed policies a higher \`profile.version\``);
  }
  const keys = await Promise.all([1, 2].map((n) => readPublisherKey(join(dataDir, 'dev-publishers', `publisher-${n}`, 'publisher.key')))).catch((e: unknown) => {
    throw new Error(`\`profile.cedar\` is signed with the development publisher keys of ${join(dataDir, 'dev-publishers')}, which cannot be read (${e instanceof Error ? e.message : String(e)}): with KEE_PUBLISHER_KEYS, sign the profile with \`kee policy sign\` and give \`profile.signed\``);
  });
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = buildCapProfileBody(
    {
      cap_profile_id: profile.id,
      version: profile.version,
      effective_date: now,
      catalog_version: { version_id: `${profile.id}@${profile.version}`, supersedes: active.signed ? (active.catalog_version?.version_id ?? null) : null, published_by: 'kee-mcp-gateway (development publishers)', published_at: now },
      profile_kind: 'standard',
    },
    text,
    inspector,
  );
  const payload = new TextEncoder().encode(canonicalJson(body));
  let jws = null;
  for (const key of keys) jws = await addSignature(jws, payload, key.seed, key.kid);
  const accepted = await kernel.submitCapProfile(jws);
  return `cap profile ${accepted.cap_profile_id} version ${accepted.version} signed with the development publishers and activated from ${file}`;
}
