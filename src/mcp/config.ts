/**
 * The `kee mcp-gateway` configuration file (JSON, docs/mcp.md): the agent the gateway speaks for,
 * the kernel that governs it (embedded, the default, or remote), an optional CAP Profile to
 * activate in the embedded kernel, and the upstream MCP servers by name. Read with zod; a bad
 * file is one line naming the first problem and where it is.
 */
import { z } from 'zod';

/** Server names become the `<server>__` prefix of tool names (SEP-986 allows `A-Za-z0-9_.-`). */
const SERVER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * Which calls' TOOL_RESULT records keep the argument and answer bodies, not only their digests:
 * `false` (default) none, `true` every tool of the upstream, or a list of its tool names (the
 * upstream's own names). A body larger than MAX_RECORDED_BODY (64 KiB of JCS) is left out and
 * named in `bodies_omitted`.
 */
const recordBodies = z.union([z.boolean(), z.array(z.string().min(1).max(128)).max(256)]).optional();

const stdioUpstream = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  /** Absolute directories: path arguments inside one of them get `context.paths_within_roots`. */
  roots: z.array(z.string().min(1)).default([]),
  /** Argument names that carry paths (string or array of strings). */
  path_arguments: z.array(z.string().min(1)).optional(),
  record_bodies: recordBodies,
});

const httpUpstream = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).optional(),
  roots: z.array(z.string().min(1)).default([]),
  path_arguments: z.array(z.string().min(1)).optional(),
  record_bodies: recordBodies,
});

const upstream = z.union([stdioUpstream, httpUpstream]);

const kernel = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('embedded'),
    data_dir: z.string().min(1).optional(),
    /**
     * Where the embedded libSQL file is served (docs/mcp.md "Speed"): `main` (default) on the
     * gateway's own thread, `worker` on a worker thread as `npm start` does. Both commit (WAL,
     * `synchronous=FULL`) before a decision is answered.
     */
    store_thread: z.enum(['main', 'worker']).default('main'),
  }),
  z.strictObject({ mode: z.literal('remote'), url: z.url({ protocol: /^https?$/ }) }),
]);

const profile = z.union([
  /** Cedar text signed on first use with the embedded kernel's development publisher keys. */
  z.strictObject({ cedar: z.string().min(1), id: z.string().min(1), version: z.number().int().min(1) }),
  /** A CAP Profile update already signed by two publishers (`kee policy sign`). */
  z.strictObject({ signed: z.string().min(1) }),
]);

export const gatewayConfigSchema = z.strictObject({
  agent: z.strictObject({
    id: z.string().min(1).max(256),
    /** The agent's Ed25519 private JWK (`kee agent keygen`); embedded mode makes one when absent. */
    key: z.string().min(1).optional(),
  }),
  kernel: kernel.default({ mode: 'embedded', store_thread: 'main' }),
  profile: profile.optional(),
  /**
   * When a call's TOOL_RESULT is durable: `before_answer` (default) before the agent gets the
   * answer; `with_next_call` before the session's next call is forwarded, in one commit with that
   * call's decision (docs/mcp.md "Speed").
   */
  result_records: z.enum(['before_answer', 'with_next_call']).default('before_answer'),
  upstreams: z
    .record(z.string(), upstream)
    .refine((u) => Object.keys(u).length > 0, 'name at least one upstream server')
    .refine((u) => Object.keys(u).every((n) => SERVER_NAME.test(n)), 'upstream names are 1-32 of a-z, 0-9 and `-` (no `_`: `__` separates server and tool)'),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type UpstreamConfig = z.infer<typeof upstream>;

/** Path-carrying argument names when an upstream names none (the filesystem server's). */
export const DEFAULT_PATH_ARGUMENTS = ['path', 'paths', 'source', 'destination'];

/** The checked configuration, or an Error whose message is one line naming the first problem. */
export function parseGatewayConfig(value: unknown): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(value);
  if (parsed.success) {
    if (parsed.data.kernel.mode === 'remote' && parsed.data.profile) throw new Error('`profile` is for the embedded kernel: push profiles to a remote kernel with `kee policy push`');
    if (parsed.data.kernel.mode === 'remote' && !parsed.data.agent.key) throw new Error('`agent.key` is required with a remote kernel (the agent authenticates with it)');
    return parsed.data;
  }
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const where = issue.path.length > 0 ? `\`${issue.path.map(String).join('.')}\`` : 'the file';
  return fail(`${where}: ${issue.message}`);
}

function fail(message: string): never {
  throw new Error(message);
}
