/**
 * The Cedar `context` of a `tools/call`: declared, bounded projections of the arguments plus a
 * digest of all of them (docs/mcp.md "What the policy sees"). Only arguments the tool declares
 * in its input schema are accepted; path arguments are resolved (`paths.ts`); short strings,
 * safe integers and booleans are copied as they are; anything else is named in `args_omitted`.
 * The digest commits the decision record to the exact arguments forwarded. A projection with
 * problems is never forwarded, whatever the policy says.
 */
import { toHex } from '../kernel/hex.ts';
import { canonicalJson } from '../kernel/jcs.ts';
import type { Json } from '../kernel/types.ts';
import { BIDI_OR_ZERO_WIDTH, normalizePath, withinRoots } from './paths.ts';

export const MAX_ARGUMENTS = 64;
export const MAX_PROJECTED_STRING = 256;
export const MAX_PATHS = 64;
const MAX_PROBLEMS = 8;

export type ProjectionOptions = {
  pathArguments: readonly string[];
  roots: readonly string[];
  sha256: (bytes: Uint8Array) => Uint8Array;
};

export type Projection = { context: Record<string, Json>; problems: string[]; digest: string };

const UTF8 = new TextEncoder();

/** `sha256:<hex>` of the RFC 8785 form of a JSON value. */
export function jsonDigest(value: unknown, sha256: (bytes: Uint8Array) => Uint8Array): string {
  return `sha256:${toHex(sha256(UTF8.encode(canonicalJson(value))))}`;
}

export function projectArguments(args: unknown, inputSchema: { properties?: Record<string, unknown> } | undefined, options: ProjectionOptions): Projection {
  const problems: string[] = [];
  const given = args ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return refused('`arguments` is not an object');
  const entries = Object.entries(given as Record<string, unknown>);
  if (entries.length > MAX_ARGUMENTS) return refused(`more than ${MAX_ARGUMENTS} arguments`);
  let digest: string;
  try {
    digest = jsonDigest(given, options.sha256);
  } catch (e) {
    return refused(`the arguments are not I-JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const declared = new Set(Object.keys(inputSchema?.properties ?? {}));
  const projected: Record<string, Json> = {};
  const omitted: string[] = [];
  const paths: string[] = [];
  for (const [name, value] of entries) {
    if (!declared.has(name)) {
      problems.push(`argument \`${clip(name)}\` is not declared by the tool`);
      continue;
    }
    if (hasBidi(value)) problems.push(`argument \`${name}\` holds a bidirectional or zero-width character`);
    if (options.pathArguments.includes(name)) {
      const list = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
      if (list === null) problems.push(`path argument \`${name}\` is not a string or a list of strings`);
      else if (list.length > MAX_PATHS) problems.push(`path argument \`${name}\` has more than ${MAX_PATHS} paths`);
      else
        for (const raw of list) {
          const r = normalizePath(raw);
          if (r.ok) paths.push(r.path);
          else problems.push(`path argument \`${name}\` ${r.problem}`);
        }
      continue;
    }
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value))) projected[name] = value;
    else if (typeof value === 'string' && value.length <= MAX_PROJECTED_STRING && !/[\u0000-\u001f\u007f]/.test(value)) projected[name] = value;
    else omitted.push(name);
  }
  const context: Record<string, Json> = {
    arguments_valid: problems.length === 0,
    argument_problems: problems.slice(0, MAX_PROBLEMS),
    arguments_digest: digest,
    args: projected,
    args_omitted: omitted.sort(),
    paths,
    paths_within_roots: paths.length > 0 && paths.every((p) => withinRoots(p, options.roots)),
  };
  if (paths.length > 0) context.path = paths[0] as string;
  return { context, problems, digest };
}

/**
 * The `context` keys of a `tools/call` decision: those every call has, and those only some have
 * (`path` when there is a path argument; `hem`, filled by the kernel on a retry naming an
 * escalation). `tool-visibility.ts` probes the policy with them.
 */
export const CONTEXT_KEYS = {
  always: ['arguments_valid', 'argument_problems', 'arguments_digest', 'args', 'args_omitted', 'paths', 'paths_within_roots'],
  optional: ['path', 'hem'],
} as const;

function refused(problem: string): Projection {
  const context: Record<string, Json> = { arguments_valid: false, argument_problems: [problem], arguments_digest: '', args: {}, args_omitted: [], paths: [], paths_within_roots: false };
  return { context, problems: [problem], digest: '' };
}

function hasBidi(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return BIDI_OR_ZERO_WIDTH.test(value);
  if (depth > 32 || typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([k, v]) => BIDI_OR_ZERO_WIDTH.test(k) || hasBidi(v, depth + 1));
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
