/**
 * `kee policy validate` and `kee policy test`: offline checks of a CAP Profile before it is
 * signed or pushed, with the kernel's own checks and engine (no server).
 *
 *   kee policy validate <policies.cedar | body.json | update.json> [--schema <file>] [--kind standard|government]
 *   kee policy test <policies.cedar | body.json | update.json> <cases.json> [--schema <file>]
 *
 * Exit codes: 0 no problem / every case as expected, 1 problems / a case decided otherwise,
 * 2 usage error or unreadable file.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fromBase64url } from '../adapters/jose/jws.ts';
import { evaluate } from '../kernel/authorize/authorize.ts';
import { controlMapOf, parseCapProfileBody, type CapProfileBody } from '../kernel/cap-profile/cap-profile.ts';
import { contentProblems, type ContentProblem } from '../kernel/cap-profile/content-checks.ts';
import { isDomainError } from '../kernel/errors.ts';
import { canonicalJson } from '../kernel/jcs.ts';
import type { LivePolicy } from '../kernel/policy/activation.ts';
import { KernelState } from '../kernel/state/kernel-state.ts';
import { toAuthorizationRequest } from '../http/authorize-request.ts';
import { authorizeBody } from '../http/schemas.ts';
import type { PolicyInspector } from '../ports/cap-profile.ts';
import type { PolicyEngine, PolicyEngineFactory } from '../ports/policy.ts';
import type { Telemetry } from '../ports/telemetry.ts';

/** What the checks run with: the kernel's inspector (parse, annotations, hash) and the serving engine's factory. */
export type CheckDeps = { inspector: PolicyInspector; factory: PolicyEngineFactory; engineName: string };

/** A file problem (unreadable, not JSON …): exit 2. */
export class FileError extends Error {}

type Problem = { code: string; message: string };

/** A profile read from a file: its policies and, for JSON, the body (null for Cedar text or a body too broken to read). */
type LoadedProfile = { policies: string | null; body: CapProfileBody | null; problems: Problem[]; notes: string[]; kind: 'cedar' | 'body' | 'update' };

export async function validate(file: string, opts: Record<string, string>, deps: CheckDeps): Promise<number> {
  const kind = opts.kind ?? 'standard';
  if (kind !== 'standard' && kind !== 'government') throw new FileError('`--kind` is `standard` or `government`');
  const profile = await loadProfile(file, deps.inspector);
  const problems = [...profile.problems];
  let hash: string | null = null;
  let count = 0;
  if (profile.policies !== null) {
    const inspection = deps.inspector.inspect(profile.policies);
    if (inspection.type === 'success') {
      hash = inspection.cedarPolicyHash;
      count = inspection.policies.length;
    }
    problems.push(...contentProblems(inspection, profile.body, kind));
    // the kernel's activation loads the set with the serving engine (and a schema, when given)
    if (inspection.type === 'success' && inspection.cedarPolicyHash !== null) {
      const schema = opts.schema ? await readText(opts.schema) : undefined;
      const loaded = tryLoad(deps.factory, profile.policies, schema);
      if (!loaded.ok) problems.push({ code: schema === undefined ? 'CAP_POLICY_INVALID' : 'SCHEMA_INVALID', message: `the serving policy engine (${deps.engineName}) refuses the set: ${loaded.message}` });
      else loaded.engine.dispose?.();
    }
  }
  for (const p of problems) console.log(`${file}: ${p.code}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`${problems.length} problem(s) in ${file}`);
    return 1;
  }
  const notes = profile.notes.length > 0 ? ` (${profile.notes.join('; ')})` : '';
  console.log(`OK ${file}: ${count} policies, cedar_policy_hash ${hash}${notes}`);
  return 0;
}

const caseSchema = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  request: authorizeBody,
  expect: z.enum(['PERMIT', 'DENY']),
  policy_ids: z.array(z.string()).optional(),
});
/** `{"cases":[…]}`, or the array alone. */
const casesFile = z.strictObject({ cases: z.array(caseSchema) });

export async function test(profileFile: string, casesPath: string, opts: Record<string, string>, deps: CheckDeps): Promise<number> {
  const profile = await loadProfile(profileFile, deps.inspector);
  if (profile.policies === null) throw new FileError(`cannot read policies from \`${profileFile}\`: ${profile.problems.map((p) => p.message).join('; ')}`);
  const schema = opts.schema ? await readText(opts.schema) : undefined;
  const loaded = tryLoad(deps.factory, profile.policies, schema);
  if (!loaded.ok) throw new FileError(`the policy engine (${deps.engineName}) refuses \`${profileFile}\`: ${loaded.message}`);
  const raw = await readJsonFile(casesPath);
  const parsed = casesFile.safeParse(Array.isArray(raw) ? { cases: raw } : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FileError(`\`${casesPath}\`: \`${issue?.path.join('.') || '(file)'}\` ${issue?.message.toLowerCase() ?? 'is invalid'}`);
  }
  const cases = parsed.data.cases;
  const live: LivePolicy = { engine: loaded.engine, info: loaded.engine.active(), version: 0, capProfileHash: null, activatedAt: null };
  const deciding = { policy: () => live, telemetry: NO_TELEMETRY, state: new KernelState(), kernelId: 'kee-policy-test' };
  let failed = 0;
  for (const [i, c] of cases.entries()) {
    const name = c.name ?? `case ${i + 1}`;
    const got = await evaluate(deciding, { session_id: 'kee-policy-test', block_id: '0'.repeat(32) }, toAuthorizationRequest(c.request));
    const idsDiffer = c.policy_ids !== undefined && canonicalJson([...c.policy_ids].sort()) !== canonicalJson(got.policyIds);
    if (got.decision === c.expect && !idsDiffer) {
      console.log(`ok   ${name}: ${got.decision}${got.policyIds.length ? ` [${got.policyIds.join(', ')}]` : ''}`);
      continue;
    }
    failed++;
    const why = got.reasons.length > 0 ? ` (${got.reasons.join('; ')})` : '';
    const expectedIds = c.policy_ids === undefined ? '' : ` [${[...c.policy_ids].sort().join(', ')}]`;
    console.log(`FAIL ${name}: expected ${c.expect}${expectedIds}, got ${got.decision} [${got.policyIds.join(', ')}]${why}`);
  }
  loaded.engine.dispose?.();
  const summary = `${cases.length} case(s): ${cases.length - failed} as expected, ${failed} not (engine ${deps.engineName}, cedar_policy_hash ${live.info.cedarPolicyHash})`;
  (failed > 0 ? console.error : console.log)(summary);
  return failed > 0 ? 1 : 0;
}

/** Reads Cedar text, a CAP Profile body (complete, or without `cedar_policy_hash` / `controls` as `kee policy sign` takes it) or a signed update. */
async function loadProfile(file: string, inspector: PolicyInspector): Promise<LoadedProfile> {
  if (!file.endsWith('.json')) return { policies: await readText(file), body: null, problems: [], notes: [], kind: 'cedar' };
  const value = await readJsonFile(file);
  const notes: string[] = [];
  const problems: Problem[] = [];
  let bodyValue: unknown = value;
  let kind: LoadedProfile['kind'] = 'body';
  if (isRecord(value) && typeof value.payload === 'string' && Array.isArray(value.signatures)) {
    kind = 'update';
    notes.push(`${value.signatures.length} signature(s), not verified offline: the kernel checks them against its publisher keys`);
    const bytes = fromBase64url(value.payload);
    let text: string;
    try {
      if (!bytes) throw new Error('not base64url');
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      bodyValue = JSON.parse(text);
    } catch {
      return { policies: null, body: null, problems: [{ code: 'CAP_PROFILE_MALFORMED', message: 'the signed payload is not base64url of UTF-8 JSON' }], notes, kind };
    }
    if (canonicalJson(bodyValue) !== text) problems.push({ code: 'CAP_PROFILE_MALFORMED', message: 'the signed payload is not in JCS (RFC 8785) form' });
  }
  if (!isRecord(bodyValue)) return { policies: null, body: null, problems: [{ code: 'CAP_PROFILE_MALFORMED', message: 'the profile is not a JSON object' }], notes, kind };
  const policies = typeof bodyValue.policies === 'string' ? bodyValue.policies : null;
  if (kind === 'body' && policies !== null && !('cedar_policy_hash' in bodyValue) && !('controls' in bodyValue)) {
    // the form `kee policy sign --profile body.json` fills in
    const inspection = inspector.inspect(policies);
    if (inspection.type === 'success' && inspection.cedarPolicyHash !== null) {
      bodyValue = { ...bodyValue, cedar_policy_hash: inspection.cedarPolicyHash, controls: controlMapOf(inspection.policies) };
      notes.push('`cedar_policy_hash` and `controls` left out: `kee policy sign` fills them in');
    } else return { policies, body: null, problems, notes, kind };
  }
  const parsed = parseCapProfileBody(bodyValue);
  if (!parsed.ok) return { policies, body: null, problems: [...problems, { code: 'CAP_PROFILE_MALFORMED', message: parsed.reason }], notes, kind };
  return { policies: parsed.body.policies, body: parsed.body, problems, notes, kind };
}

function tryLoad(factory: PolicyEngineFactory, policies: string, schema: string | undefined): { ok: true; engine: PolicyEngine } | { ok: false; message: string } {
  try {
    return { ok: true, engine: factory.load({ capProfileId: 'kee-policy-check', policies, ...(schema === undefined ? {} : { schema }) }) };
  } catch (e) {
    if (isDomainError(e)) return { ok: false, message: e.message };
    throw e;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new FileError((e as { code?: string }).code === 'ENOENT' ? `no such file \`${file}\`` : `cannot read \`${file}\`: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function readJsonFile(file: string): Promise<unknown> {
  const text = await readText(file);
  try {
    return JSON.parse(text);
  } catch {
    throw new FileError(`\`${file}\` is not valid JSON`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NO_TELEMETRY: Telemetry = { span: async (_name, _options, fn) => fn({ setAttributes: () => undefined }) };
