/**
 * `kee party-registry …`: the KIA Party Registry publisher tools (docs/party-registry.md). The
 * registry is signed with the same publisher keys as CAP Profiles (`kee policy keygen`), 2 of 3.
 *
 *   kee party-registry sign --key <publisher.key> --body <registry.json> --out <jws.json>
 *   kee party-registry sign --key <publisher.key> --in <jws.json> --out <jws.json>
 *   kee party-registry push --url <kernel> <jws.json>
 *   kee party-registry verify <jws.json> --publisher-keys <keys | file> [--threshold <n>]
 *
 * Exit codes: 0 done / verified, 1 refused (by the kernel or by the verification), 2 usage,
 * file or network error.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { addSignature, fromBase64url, joseJwsVerifier, type GeneralJws } from '../adapters/jose/jws.ts';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { isDomainError } from '../kernel/errors.ts';
import { canonicalJson } from '../kernel/jcs.ts';
import { parsePartyRegistryBody, type PartyRegistryBody } from '../kernel/party-registry/body.ts';
import { namedPublisherKeys, REGISTRY_THRESHOLD, verifyPartyRegistry } from '../kernel/party-registry/verify.ts';
import { readPublisherKey } from './publisher-key-files.ts';
import { flags, putToKernel, UsageError, type Flags } from './cli-flags.ts';

const USAGE = `usage:
  kee party-registry sign --key <publisher.key> --body <registry.json> --out <jws.json>
  kee party-registry sign --key <publisher.key> --in <jws.json> --out <jws.json>
      sign a KIA Party Registry as a CAP Profile publisher (JWS JSON general serialization over
      the JCS of the body; a kernel's missing kia_id is filled in as SHA-256 of its key); the
      first publisher gives --body, the next ones --in the file the previous one wrote
  kee party-registry push --url <kernel url> <jws.json>
      PUT the signed registry to <kernel url>/v1/party-registry and print the answer
  kee party-registry verify <jws.json> --publisher-keys <hex,hex,… | key file> [--threshold <n>]
      verify it as a resource provider does, against the publisher keys given (not the kernel's);
      <jws.json> may also be the answer of GET /v1/party-registry
exit: 0 done or verified, 1 refused, 2 usage, file or network error`;

class Refused extends Error {}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === 'sign') return await sign(flags(rest, ['key', 'body', 'in', 'out']));
    if (verb === 'push') return await push(flags(rest, ['url'], 1));
    if (verb === 'verify') return await verify(flags(rest, ['publisher-keys', 'threshold'], 1));
    if (verb === undefined || verb === '--help' || verb === '-h') return usage(verb === undefined ? 2 : 0);
    console.error(`kee: unknown command \`party-registry ${verb}\`: \`kee party-registry --help\` lists the commands`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kee party-registry: ${e.message}`);
      return usage(2);
    }
    if (e instanceof Refused || isDomainError(e, 'CONFLICT')) {
      console.error(`kee party-registry: refused: ${e.message}`);
      return 1;
    }
    const code = (e as { code?: string }).code;
    console.error(`kee party-registry: ${code === 'ENOENT' ? `no such file \`${(e as { path?: string }).path}\`` : e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

async function readJsonFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`\`${file}\` is not valid JSON`);
  }
}

async function sign({ opts }: Flags): Promise<number> {
  if (!opts.key || !opts.out) throw new UsageError('`--key` and `--out` are required');
  if (!opts.body === !opts.in) throw new UsageError('give `--body` (first signature) or `--in` (add to a signed file)');
  const key = await readPublisherKey(opts.key);
  let existing: GeneralJws | null = null;
  let body: PartyRegistryBody;
  let payload: Uint8Array;
  if (opts.body) {
    body = checkBody(withKiaIds(await readJsonFile(opts.body)));
    payload = new TextEncoder().encode(canonicalJson(body));
  } else {
    existing = asJws(await readJsonFile(opts.in as string), opts.in as string);
    const signed = fromBase64url(existing.payload);
    if (!signed) throw new UsageError('the JWS payload is not base64url');
    payload = signed;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      throw new Refused('the signed payload is not JSON');
    }
    body = checkBody(value);
  }
  const jws = await addSignature(existing, payload, key.seed, key.kid);
  await writeFile(opts.out, `${JSON.stringify(jws, null, 2)}\n`);
  console.log(`signed party registry ${body.registry_id} version ${body.version} (${body.kernels.length} kernel(s), ${body.resource_providers.length} provider(s)) as ${key.kid}: ${jws.signatures.length} signature(s) in ${opts.out}`);
  return 0;
}

/** Fills in a kernel's `kia_id` (SHA-256 of its group key) when the author left it out. */
function withKiaIds(value: unknown): unknown {
  const v = value as { kernels?: unknown };
  if (typeof v !== 'object' || v === null || !Array.isArray(v.kernels)) return value;
  const kernels = v.kernels.map((k: { kia_id?: unknown; group_public_key?: unknown }) =>
    typeof k === 'object' && k !== null && k.kia_id === undefined && typeof k.group_public_key === 'string' && /^[0-9a-f]{64}$/.test(k.group_public_key)
      ? { kia_id: createHash('sha256').update(Buffer.from(k.group_public_key, 'hex')).digest('hex'), ...k }
      : k,
  );
  return { ...v, kernels };
}

/** Refuses to sign what a verifier would refuse: the shape, and every `kia_id` = SHA-256 of its key. */
function checkBody(value: unknown): PartyRegistryBody {
  const parsed = parsePartyRegistryBody(value);
  if (!parsed.ok) throw new Refused(`the registry is malformed: ${parsed.reason}`);
  for (const [i, k] of parsed.body.kernels.entries()) {
    if (createHash('sha256').update(Buffer.from(k.group_public_key, 'hex')).digest('hex') !== k.kia_id) throw new Refused(`kernels[${i}].kia_id is not the SHA-256 of its group_public_key`);
  }
  return parsed.body;
}

function asJws(v: unknown, file: string): GeneralJws {
  const j = v as { payload?: unknown; signatures?: unknown; jws?: unknown };
  const inner = typeof j === 'object' && j !== null && j.jws !== undefined ? (j.jws as typeof j) : j;
  if (typeof inner?.payload !== 'string' || !Array.isArray(inner.signatures)) throw new UsageError(`\`${file}\` is not a JWS JSON general serialization`);
  for (const s of inner.signatures) if (!joseJwsVerifier.protectedHeader((s as { protected?: string }).protected ?? '')) throw new UsageError(`\`${file}\` has a signature without a protected header`);
  return inner as GeneralJws;
}

async function push({ opts, args }: Flags): Promise<number> {
  if (!opts.url) throw new UsageError('`--url <kernel url>` is required');
  const jws = asJws(await readJsonFile(args[0] as string), args[0] as string);
  return putToKernel('kee party-registry', opts.url, '/v1/party-registry', JSON.stringify(jws));
}

async function verify({ opts, args }: Flags): Promise<number> {
  const given = opts['publisher-keys'];
  if (!given) throw new UsageError('`--publisher-keys <hex,hex,… | key file>` is required: the publishers this verifier trusts');
  const text = /^[0-9a-fA-F]{64}([\s,]|$)|^[A-Za-z0-9_-]{43}([\s,]|$)/.test(given) ? given : await readFile(given, 'utf8');
  const keys = await namedPublisherKeys(parsePublisherKeys(text));
  const threshold = opts.threshold === undefined ? REGISTRY_THRESHOLD : Number(opts.threshold);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) throw new UsageError(`\`--threshold\` must be a whole number from 1 to the ${keys.length} key(s) given`);
  const jws = asJws(await readJsonFile(args[0] as string), args[0] as string);
  const v = await verifyPartyRegistry(jws, keys, joseJwsVerifier, threshold);
  if (!v.ok) throw new Refused(`${v.code}: ${v.reason}`);
  console.log(`party registry ${v.body.registry_id} version ${v.body.version} OK: signed by ${v.publishers.length} of ${keys.length} pinned publishers (${v.publishers.join(', ')}), registry_hash ${v.registry_hash}`);
  for (const k of v.body.kernels) console.log(`kernel ${k.kia_id}: group key ${k.group_public_key}${k.frost_threshold_config ? ` (${k.frost_threshold_config})` : ''}`);
  for (const p of v.body.resource_providers) console.log(`provider ${p.provider_id}: acd_required ${p.acd_required}, audiences ${p.resource_audiences.join(' ')}${p.acd_requirements ? `, requires ${JSON.stringify(p.acd_requirements)}` : ''}`);
  return 0;
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}
