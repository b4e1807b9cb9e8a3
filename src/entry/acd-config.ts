/**
 * The ACD handshake's configuration (docs/acd.md): `KEE_ACD_MANIFEST_MAX_AGE` (Check 1 staleness
 * window, seconds, 1 to 86,400, default 86,400), `KEE_ACD_VALIDITY` (record validity, seconds, 1
 * to 2,592,000, default 86,400) and `KEE_ACD_PROFILE` (a JSON file of the operator's record
 * facts: `operator_id`, jurisdictions, governing law, redress …). Any error stops the start.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ACD_VALIDITY_MAX_SECONDS, MANIFEST_STALENESS_MAX_SECONDS, type AcdOptions } from '../kernel/acd/acd-record.ts';
import { StartupError } from './startup-error.ts';

const text = z.string().min(1).max(2048);
const profileSchema = z.strictObject({
  operator_id: text.nullable().optional(),
  deployer_id: text.nullable().optional(),
  governing_law: text.nullable().optional(),
  primary_jurisdiction: z.string().regex(/^[A-Z]{2}$/).nullable().optional(),
  jurisdictions: z.array(z.strictObject({ jurisdiction_code: z.string().regex(/^[A-Z]{2}$/), regulatory_regime: z.array(text).max(64), ptd_endpoint: text.nullable() })).max(64).optional(),
  terms_of_use_uri: text.nullable().optional(),
  liability_scope: z.enum(['OPERATOR', 'DEPLOYER', 'PRINCIPAL_HIERARCHY']).optional(),
  redress_uri: text.nullable().optional(),
  human_escalation_path: z.enum(['AVAILABLE', 'NOT_AVAILABLE']).optional(),
  hem_status: z.enum(['ACTIVE', 'SUSPENDED', 'ESCALATION_IN_PROGRESS']).optional(),
  gar_audit_endpoint: text.nullable().optional(),
  cap_enforcement_attestation: text.nullable().optional(),
  ptd_endpoint: text.nullable().optional(),
});

function seconds(env: Record<string, string | undefined>, name: string, max: number): number | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new StartupError(`${name} must be a whole number of seconds from 1 to ${max}, got \`${v.slice(0, 40)}\``);
  return Number(v);
}

export async function readAcdOptions(env: Record<string, string | undefined>): Promise<AcdOptions> {
  const manifestMaxAgeSeconds = seconds(env, 'KEE_ACD_MANIFEST_MAX_AGE', MANIFEST_STALENESS_MAX_SECONDS);
  const validitySeconds = seconds(env, 'KEE_ACD_VALIDITY', ACD_VALIDITY_MAX_SECONDS);
  const path = env.KEE_ACD_PROFILE?.trim();
  let profile: AcdOptions['profile'];
  if (path) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new StartupError(`KEE_ACD_PROFILE: cannot read \`${path}\` as JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StartupError(`KEE_ACD_PROFILE \`${path}\`: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
    }
    profile = parsed.data as AcdOptions['profile'];
  }
  return { ...(manifestMaxAgeSeconds === undefined ? {} : { manifestMaxAgeSeconds }), ...(validitySeconds === undefined ? {} : { validitySeconds }), ...(profile ? { profile } : {}) };
}
