/**
 * The ACD settings of every entry (docs/acd.md#settings), without file or process access (the
 * workerd entry uses it too): `KEE_ACD_MANIFEST_MAX_AGE` (Check 1 staleness window, seconds, 1
 * to 86,400), `KEE_ACD_VALIDITY` (record validity, seconds, 1 to 2,592,000) and the operator's
 * record facts (`KEE_ACD_PROFILE`: a file on Node, Bun and Deno; JSON text on workerd). Throws an
 * Error with a one-line message for a bad value.
 */
import * as z from 'zod';
import { ACD_VALIDITY_MAX_SECONDS, MANIFEST_STALENESS_MAX_SECONDS, type AcdOptions } from '../kernel/acd/acd-record.ts';

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

function seconds(name: string, value: string | undefined, max: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new Error(`${name} must be a whole number of seconds from 1 to ${max}, got \`${v.slice(0, 40)}\``);
  return Number(v);
}

/** `where` names the profile's source in messages (`KEE_ACD_PROFILE \`/etc/kee/acd.json\``). */
export function acdOptionsFrom(values: { maxAge?: string | undefined; validity?: string | undefined }, profile?: { text: string; where: string }): AcdOptions {
  const manifestMaxAgeSeconds = seconds('KEE_ACD_MANIFEST_MAX_AGE', values.maxAge, MANIFEST_STALENESS_MAX_SECONDS);
  const validitySeconds = seconds('KEE_ACD_VALIDITY', values.validity, ACD_VALIDITY_MAX_SECONDS);
  let facts: AcdOptions['profile'];
  if (profile) {
    let raw: unknown;
    try {
      raw = JSON.parse(profile.text);
    } catch {
      throw new Error(`${profile.where} is not JSON`);
    }
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${profile.where}: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
    }
    facts = parsed.data as AcdOptions['profile'];
  }
  return { ...(manifestMaxAgeSeconds === undefined ? {} : { manifestMaxAgeSeconds }), ...(validitySeconds === undefined ? {} : { validitySeconds }), ...(facts ? { profile: facts } : {}) };
}
