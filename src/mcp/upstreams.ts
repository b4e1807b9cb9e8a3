/**
 * The upstream MCP servers, each through the official SDK's Client: a child process over stdio
 * or a Streamable HTTP URL. Their tools are listed once at start and offered to the agent as
 * `<server>__<tool>`: SEP-986 (the MCP spec's tool-name rule, checked by the SDK's
 * `validateToolName`) allows only `A-Za-z0-9_.-` in 1-128 characters, so `/` cannot separate
 * them; upstream names have no `_`, so the first `__` splits a name unambiguously. In policy the
 * tool is `Tool::"<server>/<tool>"`. An upstream that says its tool list changed
 * (`notifications/tools/list_changed`) is listed again and its tools replaced. An upstream that
 * exits or drops its connection stays down: its calls are refused (docs/mcp.md).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_PATH_ARGUMENTS, type UpstreamConfig } from './config.ts';
import { normalizePath } from './paths.ts';

const TOOL_NAME = /^[A-Za-z0-9._-]{1,128}$/;
export const GATEWAY_VERSION = '0.1.0';

export type Upstream = {
  name: string;
  client: Client;
  /** Why the upstream is down (null while it is up). */
  down: string | null;
  roots: string[];
  pathArguments: string[];
  /** Whether a call's TOOL_RESULT keeps the bodies (config `record_bodies`), by the upstream's tool name. */
  recordsBodies: (tool: string) => boolean;
  close: () => Promise<void>;
};

export type GatewayTool = {
  /** As the agent sees it: `<server>__<tool>`. */
  exposed: Tool;
  server: string;
  /** The upstream's own name for it. */
  tool: string;
  /** `<server>/<tool>`: the id of its `Tool` entity in policy. */
  resourceId: string;
  upstream: Upstream;
};

export type Catalog = {
  tools: Map<string, GatewayTool>;
  upstreams: Upstream[];
  /** Called after an upstream's `notifications/tools/list_changed` was followed (its tools listed again). */
  onToolsChanged: (listener: () => void) => void;
  close: () => Promise<void>;
};

export function exposedName(server: string, tool: string): string {
  return `${server}__${tool}`;
}

/** Connects every upstream and lists its tools; an upstream that cannot be reached stops the start (one line). */
export async function connectUpstreams(upstreams: Record<string, UpstreamConfig>, log: (line: string) => void, timeoutMs = 30_000): Promise<Catalog> {
  const connected: Upstream[] = [];
  const tools = new Map<string, GatewayTool>();
  const closeAll = async () => void (await Promise.allSettled(connected.map((u) => u.close())));
  const listeners: (() => void)[] = [];
  /** Replaces the upstream's tools in `tools` with `listed`. */
  const offer = (upstream: Upstream, listed: Tool[]) => {
    const name = upstream.name;
    for (const [exposed, t] of tools) if (t.upstream === upstream) tools.delete(exposed);
    for (const tool of listed) {
      const exposed = exposedName(name, tool.name);
      if (!TOOL_NAME.test(exposed)) {
        log(`kee mcp-gateway: upstream \`${name}\`: tool \`${tool.name.slice(0, 64)}\` is hidden: \`${exposed.slice(0, 64)}\` is not a valid MCP tool name (A-Za-z0-9_.-, at most 128)`);
        continue;
      }
      tools.set(exposed, { exposed: { ...tool, name: exposed }, server: name, tool: tool.name, resourceId: `${name}/${tool.name}`, upstream });
    }
  };
  try {
    for (const [name, config] of Object.entries(upstreams)) {
      const upstream = await connect(name, config, timeoutMs, log);
      connected.push(upstream);
      offer(upstream, await listAll(upstream.client, timeoutMs));
      // the upstream's list changed: list it again (one listing at a time), then tell the listeners
      let relisting = Promise.resolve();
      upstream.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        relisting = relisting.then(async () => {
          try {
            offer(upstream, await listAll(upstream.client, timeoutMs));
          } catch (e) {
            log(`kee mcp-gateway: upstream \`${name}\`: its changed tool list could not be read (${e instanceof Error ? e.message : String(e)}); the previous list stays`);
            return;
          }
          for (const listener of listeners) listener();
        });
        return relisting;
      });
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { tools, upstreams: connected, onToolsChanged: (listener) => void listeners.push(listener), close: closeAll };
}

async function connect(name: string, config: UpstreamConfig, timeoutMs: number, log: (line: string) => void): Promise<Upstream> {
  const roots = config.roots.map((r) => {
    const n = normalizePath(r);
    if (!n.ok) throw new Error(`upstream \`${name}\`: root \`${r}\` ${n.problem}`);
    return n.path;
  });
  const transport: Transport =
    'command' in config
      ? new StdioClientTransport({ command: config.command, args: config.args, env: { ...getDefaultEnvironment(), ...config.env }, ...(config.cwd ? { cwd: config.cwd } : {}), stderr: 'inherit' })
      : new StreamableHTTPClientTransport(new URL(config.url), config.headers ? { requestInit: { headers: config.headers } } : undefined);
  const client = new Client({ name: 'kee-mcp-gateway', version: GATEWAY_VERSION });
  const bodies = config.record_bodies ?? false;
  const recordsBodies = typeof bodies === 'boolean' ? () => bodies : (tool: string) => bodies.includes(tool);
  const upstream: Upstream = { name, client, down: null, roots, pathArguments: config.path_arguments ?? DEFAULT_PATH_ARGUMENTS, recordsBodies, close: () => client.close() };
  client.onclose = () => {
    upstream.down ??= 'its connection closed (the process exited or the server went away)';
  };
  // a garbled message fails only the call it belonged to (which then times out): logged, not fatal
  client.onerror = (e) => log(`kee mcp-gateway: upstream \`${name}\`: ${e.message.slice(0, 200)}`);
  try {
    await client.connect(transport, { timeout: timeoutMs });
  } catch (e) {
    await client.close().catch(() => {});
    throw new Error(`upstream \`${name}\` cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  return upstream;
}

async function listAll(client: Client, timeoutMs: number): Promise<Tool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  const out: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
    out.push(...r.tools);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return out;
}
