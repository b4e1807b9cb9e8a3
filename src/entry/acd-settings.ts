/**
 * The ACD settings of every entry (docs/acd.md#settings), without file or process access (the
 * workerd entry uses it too): `KEE_ACD_MANIFEST_MAX_AGE` (Check 1 staleness window, seconds, 1
 * to 86,400), `KEE_ACD_VALIDITY` (record validity, seconds, 1 to 2,592,000) and the operator's
 * record facts (`KEE_ACD_PROFILE`: a file on Node, Bun and Deno; JSON text on workerd). Throws an
 * Error with a one-line message for a bad value.
 */
import * as z from '../http/zod.ts';
import { ACD_VALIDITY_MAX_SECONDS, MANIFEST_STALENESS_MAX_SECONDS, type AcdOptions } from '../kernel/acd/acd-record.ts';

const text = z.string().check(z.minLength(1), z.maxLength(2048));
/** A text fact that may be absent or null. */
const fact = z.optional(z.nullable(text));
const country = z.string().check(z.regex(/^[A-Z]{2}$/));
const profileSchema = z.strictObject({
  operator_id: fact,
  deployer_id: fact,
  governing_law: fact,
  primary_jurisdiction: z.optional(z.nullable(country)),
  jurisdictions: z.optional(z.array(z.strictObject({ jurisdiction_code: country, regulatory_regime: z.array(text).check(z.maxLength(64)), ptd_endpoint: z.nullable(text) })).check(z.maxLength(64))),
  terms_of_use_uri: fact,
  liability_scope: z.optional(z.enum(['OPERATOR', 'DEPLOYER', 'PRINCIPAL_HIERARCHY'])),
  redress_uri: fact,
  human_escalation_path: z.optional(z.enum(['AVAILABLE', 'NOT_AVAILABLE'])),
  hem_status: z.optional(z.enum(['ACTIVE', 'SUSPENDED', 'ESCALATION_IN_PROGRESS'])),
  gar_audit_endpoint: fact,
  cap_enforcement_attestation: fact,
  ptd_endpoint: fact,
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
