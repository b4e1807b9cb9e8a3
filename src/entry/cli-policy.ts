/**
 * `kee policy …`: the CAP Profile publisher tools (KEE-1 P4).
 *
 *   kee policy keygen --out <dir>
 *   kee policy sign --key <publisher.key> --profile <body.json | policies.cedar> [metadata] --out <jws.json>
 *   kee policy sign --key <publisher.key> --in <jws.json> --out <jws.json>
 *   kee policy push --url <kernel> <jws.json>
 *   kee policy validate <policies.cedar | body.json | update.json> [--schema <file>] [--kind standard|government]
 *   kee policy test <policies.cedar | body.json | update.json> <cases.json> [--schema <file>]
 *
 * Exit codes: 0 done / accepted, 1 refused (by the kernel, or a second signature by one key, or
 * a profile that would be refused), 2 usage, file or network error.
 */
import { readFile, writeFile } from 'node:fs/promises';
import process from 'node:process';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { cedarPolicyEngineFactory } from '../adapters/cedar/factory.ts';
import { keePolicyEngineFactory } from '../adapters/kee-policy/factory.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { addSignature, fromBase64url, joseJwsVerifier, type GeneralJws } from '../adapters/jose/jws.ts';
import { initKeeWasm, type KeeWasm } from '../adapters/wasm/load.ts';
import { buildCapProfileBody } from '../kernel/cap-profile/build-body.ts';
import { bareHash, parseCapProfileBody, type CapProfileBody } from '../kernel/cap-profile/cap-profile.ts';
import { isDomainError } from '../kernel/errors.ts';
import { canonicalJson } from '../kernel/jcs.ts';
import type { PolicyInspector } from '../ports/cap-profile.ts';
import { FileError, test, validate, type CheckDeps } from './cli-policy-check.ts';
import { policyEngineName } from './policy-engine.ts';
import { createPublisherKey, readPublisherKey } from './publisher-key-files.ts';
import { flags, putToKernel, UsageError, type Flags } from './cli-flags.ts';

const USAGE = `usage:
  kee policy keygen --out <dir>
      create an Ed25519 publisher key pair: <dir>/publisher.key (0600) and <dir>/publisher.pub; prints the kid
  kee policy sign --key <publisher.key> --profile <body.json> [--in <jws.json>] --out <jws.json>
  kee policy sign --key <publisher.key> --profile <policies.cedar> --id <cap_profile_id> --version <n>
        [--kind standard|government] [--effective-date <rfc3339>] [--catalog-version <id>]
        [--supersedes <id>] [--published-by <name>] [--published-at <rfc3339>]
        [--record-subjects raw|digest] --out <jws.json>
  kee policy sign --key <publisher.key> --in <jws.json> --out <jws.json>
      add this publisher's signature (JWS JSON general serialization over the JCS of the body);
      the first publisher gives --profile, the next ones --in the file the previous one wrote
  kee policy push --url <kernel url> <jws.json>
      PUT the signed update to <kernel url>/v1/cap-profile and print the answer
  kee policy validate <policies.cedar | body.json | update.json> [--schema <file>] [--kind standard|government]
      offline, before signing or pushing: parse the policies and run the kernel's content checks
      (annotations, tiers, controls, hash, tier conflicts, government authority sources, the serving
      engine loads them, against the schema if given); one line per problem; exit 1 on any
  kee policy test <policies.cedar | body.json | update.json> <cases.json> [--schema <file>]
      decide each case ({"name","request":<authorize body>,"expect":"PERMIT"|"DENY","policy_ids"?})
      with the kernel's engine (KEE_POLICY_ENGINE) and fail-closed rules; exit 1 on any mismatch
exit: 0 done, accepted or as expected, 1 refused, problems or mismatches, 2 usage, file or network error`;

class Refused extends Error {}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === 'keygen') return await keygen(flags(rest, ['out']));
    if (verb === 'sign') return await sign(flags(rest, ['key', 'profile', 'in', 'out', 'id', 'version', 'kind', 'effective-date', 'catalog-version', 'supersedes', 'published-by', 'published-at', 'record-subjects']));
    if (verb === 'push') return await push(flags(rest, ['url'], 1));
    if (verb === 'validate') {
      const f = flags(rest, ['schema', 'kind'], 1);
      return await validate(f.args[0] as string, f.opts, await checkDeps());
    }
    if (verb === 'test') {
      const f = flags(rest, ['schema'], 2);
      return await test(f.args[0] as string, f.args[1] as string, f.opts, await checkDeps());
    }
    if (verb === undefined || verb === '--help' || verb === '-h') return usage(0);
    console.error(`kee: unknown command \`policy ${verb}\`: \`kee policy --help\` lists the commands`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kee policy: ${e.message}`);
      return usage(2);
    }
    if (e instanceof FileError) {
      console.error(`kee policy: ${e.message}`);
      return 2;
    }
    if (e instanceof Refused || isDomainError(e, 'CONFLICT')) {
      console.error(`kee policy: refused: ${e.message}`);
      return 1;
    }
    const code = (e as { code?: string }).code;
    console.error(`kee policy: ${code === 'ENOENT' ? `no such file \`${(e as { path?: string }).path}\`` : code === 'EEXIST' ? `\`${(e as { path?: string }).path}\` exists: refusing to overwrite a key` : e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

async function keygen({ opts }: Flags): Promise<number> {
  if (!opts.out) throw new UsageError('`--out <dir>` is required');
  const k = await createPublisherKey(opts.out);
  console.log(`kid ${k.kid}`);
  console.log(`private key ${k.keyFile} (mode 0600: keep it secret)`);
  console.log(`public key  ${k.pubFile} (give it to the kernel operator for KEE_PUBLISHER_KEYS)`);
  return 0;
}

async function sign({ opts }: Flags): Promise<number> {
  if (!opts.key || !opts.out) throw new UsageError('`--key` and `--out` are required');
  if (!opts.profile && !opts.in) throw new UsageError('give `--profile` (first signature) or `--in` (add to a signed file)');
  const key = await readPublisherKey(opts.key);
  const existing = opts.in ? parseJws(await readFile(opts.in, 'utf8'), opts.in) : null;
  let payload: Uint8Array;
  let body: CapProfileBody;
  if (opts.profile) {
    body = await profileBody(opts.profile, opts, await inspector());
    payload = new TextEncoder().encode(canonicalJson(body));
  } else {
    payload = decodePayload((existing as GeneralJws).payload);
    body = checkBody(JSON.parse(new TextDecoder().decode(payload)), await inspector());
  }
  const jws = await addSignature(existing, payload, key.seed, key.kid);
  await writeFile(opts.out, `${JSON.stringify(jws, null, 2)}\n`);
  console.log(`signed ${body.cap_profile_id} version ${body.version} as ${key.kid}: ${jws.signatures.length} signature(s) in ${opts.out}`);
  return 0;
}

async function push({ opts, args }: Flags): Promise<number> {
  if (!opts.url) throw new UsageError('`--url <kernel url>` is required');
  const text = await readFile(args[0] as string, 'utf8');
  parseJws(text, args[0] as string);
  return putToKernel('kee policy', opts.url, '/v1/cap-profile', text);
}

/** A body from JSON (complete, or without `cedar_policy_hash` / `controls`) or from Cedar text plus flags. */
async function profileBody(file: string, opts: Record<string, string>, insp: PolicyInspector): Promise<CapProfileBody> {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.json')) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`\`${file}\` is not valid JSON`);
    }
    if (typeof value.policies !== 'string') throw new Refused(`\`${file}\` has no \`policies\` text`);
    // fill in what the publisher may leave out; what is given is kept, and checked below
    const { cedar_policy_hash: hash, controls, policies, ...meta } = value;
    const filled = buildCapProfileBody(meta as never, policies, insp);
    return checkBody({ ...filled, ...(hash === undefined ? {} : { cedar_policy_hash: hash }), ...(controls === undefined ? {} : { controls }) }, insp);
  }
  if (!opts.id || !opts.version) throw new UsageError('signing Cedar text needs `--id` and `--version`');
  const version = Number(opts.version);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const kind = opts.kind ?? 'standard';
  if (kind !== 'standard' && kind !== 'government') throw new UsageError('`--kind` is `standard` or `government`');
  const given = opts['record-subjects'];
  if (given !== undefined && given !== 'raw' && given !== 'digest') throw new UsageError('`--record-subjects` is `raw` or `digest`');
  const subjects: 'raw' | 'digest' | undefined = given;
  const meta = {
    cap_profile_id: opts.id,
    version,
    effective_date: opts['effective-date'] ?? now,
    catalog_version: {
      version_id: opts['catalog-version'] ?? `${opts.id}@${opts.version}`,
      supersedes: opts.supersedes ?? null,
      published_by: opts['published-by'] ?? 'kee-publisher',
      published_at: opts['published-at'] ?? now,
    },
    profile_kind: kind,
    ...(subjects === undefined ? {} : { record_subjects: subjects }),
  } as const;
  return checkBody(buildCapProfileBody(meta, text, insp), insp);
}

/** Refuses to sign what the kernel would refuse for its own content (shape, annotations' hash). */
function checkBody(value: unknown, insp: PolicyInspector): CapProfileBody {
  const parsed = parseCapProfileBody(value);
  if (!parsed.ok) throw new Refused(`the profile is malformed: ${parsed.reason}`);
  const inspection = insp.inspect(parsed.body.policies);
  if (inspection.type === 'failure') throw new Refused(`policies do not parse: ${inspection.message}`);
  if (inspection.cedarPolicyHash !== bareHash(parsed.body.cedar_policy_hash)) throw new Refused(`\`cedar_policy_hash\` is not the hash of the policies (${inspection.cedarPolicyHash ?? inspection.engineError})`);
  return parsed.body;
}

function parseJws(text: string, file: string): GeneralJws {
  let v: { payload?: unknown; signatures?: unknown };
  try {
    v = JSON.parse(text);
  } catch {
    throw new UsageError(`\`${file}\` is not valid JSON`);
  }
  if (typeof v?.payload !== 'string' || !Array.isArray(v.signatures)) throw new UsageError(`\`${file}\` is not a JWS JSON general serialization`);
  for (const s of v.signatures) if (!joseJwsVerifier.protectedHeader((s as { protected?: string }).protected ?? '')) throw new UsageError(`\`${file}\` has a signature without a protected header`);
  return v as GeneralJws;
}

function decodePayload(p: string): Uint8Array {
  const bytes = fromBase64url(p);
  if (!bytes) throw new UsageError('the JWS payload is not base64url');
  return bytes;
}

let insp: PolicyInspector | null = null;
let keeWasm: KeeWasm | null = null;

/** The kernel's own engines, so the hash a publisher signs is the one the kernel recomputes. */
async function inspector(): Promise<PolicyInspector> {
  if (!insp) {
    keeWasm = initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
    cedar.initSync({ module: await readFile(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url)) });
    insp = createPolicyInspector(cedar as unknown as CedarApi, keeWasm);
  }
  return insp;
}

/**
 * The inspector and the engine the kernel would serve with (`KEE_POLICY_ENGINE`). kee-policy's
 * evaluation budget is lifted to 10 s: offline, a slow machine must not turn a case into a DENY.
 */
async function checkDeps(): Promise<CheckDeps> {
  const engineName = policyEngineName(process.env.KEE_POLICY_ENGINE);
  const inspectorReady = await inspector();
  const kee = keeWasm as KeeWasm;
  const factory = engineName === 'cedar-wasm' ? cedarPolicyEngineFactory(cedar as unknown as CedarApi, new WasmMerkle(kee)) : keePolicyEngineFactory(kee, { budgetMs: 10_000 });
  return { inspector: inspectorReady, factory, engineName };
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}
