/**
 * `kee mcp-gateway --config <file> [--http <port>|<host:port>] [--packages <dir>]`: the MCP
 * gateway (docs/mcp.md). Reads and checks the config (one line, exit 2), holds an embedded
 * kernel (`local.ts` without a listener; `kernel.data_dir` or KEE_DATA_DIR) or reaches a remote
 * one, activates the configured profile, connects the upstreams, and serves the agent over stdio
 * (default: stdout carries MCP only, every log line goes to stderr) or Streamable HTTP on a
 * loopback address. Each agent session is one Kee session; its close is a signed Session Block,
 * written as an audit package to `--packages <dir>` when given (embedded only).
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { sha256 } from '@noble/hashes/sha2.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { exportJWK, generateKeyPair } from 'jose';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { neverPermits } from '../adapters/cedar/never-permits.ts';
import type { AgentPrivateJwk } from '../client/index.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { parseGatewayConfig, type GatewayConfig } from '../mcp/config.ts';
import { embeddedGovernor } from '../mcp/embedded-governor.ts';
import { createGatewaySession, type GatewaySession } from '../mcp/gateway.ts';
import type { Governor } from '../mcp/governor.ts';
import { remoteGovernor } from '../mcp/remote-governor.ts';
import { ToolListNotifier } from '../mcp/tool-list-changes.ts';
import { policyVisibility } from '../mcp/tool-visibility.ts';
import { connectUpstreams, type Catalog, type GatewayTool } from '../mcp/upstreams.ts';
import { isLoopback } from './local-config.ts';
import { checkPortFree } from './startup-checks.ts';

const USAGE = `usage:
  kee mcp-gateway --config <file> [--http <port> | --http <host:port>] [--packages <dir>]
      govern an MCP agent: the agent connects to this gateway (stdio by default, or Streamable
      HTTP at http://<host:port>/mcp, loopback only) and sees the tools of the upstream MCP
      servers the config names as <server>__<tool>; every tools/call is authorized and
      recorded by Kee before it is forwarded; each agent session closes into a signed Session
      Block (written as an audit package to <dir> with --packages, embedded kernel only)
      (docs/mcp.md describes the config file)`;

const log = (line: string) => console.error(line);

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(USAGE);
    return 0;
  }
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (!['--config', '--http', '--packages'].includes(flag)) return usageLine(`unknown option \`${flag}\`: \`kee mcp-gateway --help\` lists the options`);
    if (value === undefined) return usageLine(`${flag} needs a value`);
    opts[flag.slice(2)] = value;
  }
  if (!opts.config) return usageLine('give --config <file>');
  const listen = opts.http === undefined ? null : parseListen(opts.http);
  if (listen && 'error' in listen) return usageLine(listen.error);
  const configFile = resolve(opts.config);
  let config: GatewayConfig;
  try {
    config = parseGatewayConfig(JSON.parse(await readFile(configFile, 'utf8')));
  } catch (e) {
    const m = (e as { code?: string }).code === 'ENOENT' ? `no such file \`${configFile}\`` : e instanceof SyntaxError ? 'the file is not valid JSON' : e instanceof Error ? e.message : String(e);
    return usageLine(`config \`${opts.config}\`: ${m}`);
  }
  if (opts.packages && config.kernel.mode !== 'embedded') return usageLine('--packages needs the embedded kernel (a remote kernel serves packages at GET /v1/audit/blocks/{block_id}/package)');
  // stdout is the MCP channel under stdio: every line the kernel would print goes to stderr
  console.log = console.error;
  console.info = console.error;
  const fromConfig = (p: string) => resolve(dirname(configFile), p);
  // a taken port stops the start before a kernel or an upstream is started
  if (listen) {
    try {
      await checkPortFree(listen.host, listen.port);
    } catch (e) {
      const why = e instanceof Error && /already in use/.test(e.message) ? 'is already in use' : 'cannot be listened on';
      log(`kee mcp-gateway: --http: ${listen.host}:${listen.port} ${why}: give --http another port`);
      return 1;
    }
  }
  try {
    // the upstreams' pipes and the store's worker would keep the process alive after the close
    process.exit(await serve(config, fromConfig, listen, opts.packages ? resolve(opts.packages) : null));
  } catch (e) {
    log(`kee mcp-gateway: ${e instanceof Error ? e.message : String(e)}`);
    // what was started has been stopped; a handle left by a failed start must not keep the process up
    process.exit(1);
  }
}

type Listen = { host: string; port: number };

function parseListen(v: string): Listen | { error: string } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535) return { error: `--http takes <port> or <host:port>, got \`${v}\`` };
  const host = m[1] ?? '127.0.0.1';
  // the HTTP endpoint does not authenticate the agent: anyone who reaches it acts as the agent
  if (!isLoopback(host)) return { error: `--http: \`${host}\` is not a loopback address: the gateway's HTTP endpoint does not authenticate the agent, so it listens on loopback only` };
  return { host, port };
}

async function serve(config: GatewayConfig, fromConfig: (p: string) => string, listen: Listen | null, packagesDir: string | null): Promise<number> {
  let kernel: Kernel | null = null;
  let shutdownKernel = async () => {};
  let governor: Governor;
  let visible: ((tool: GatewayTool) => boolean) | undefined;
  if (config.kernel.mode === 'embedded') {
    if (config.kernel.data_dir) process.env.KEE_DATA_DIR = fromConfig(config.kernel.data_dir);
    const { buildLocalKernel } = await import('./local.ts');
    const local = await buildLocalKernel('node', { listen: false, libsqlThread: config.kernel.store_thread });
    kernel = local.kernel;
    shutdownKernel = local.shutdown;
    try {
      if (config.profile) {
        const { activateGatewayProfile } = await import('./mcp-profile.ts');
        log(`kee mcp-gateway: ${await activateGatewayProfile(local.kernel, local.inspector, local.dataDir, config.profile, fromConfig)}`);
      }
      const key = await agentKey(config, fromConfig, local.dataDir);
      governor = await embeddedGovernor(local.kernel, config.agent.id, key);
      // tools/list hides what the active policy never permits (buildLocalKernel initialized cedar-wasm)
      const embedded = local.kernel;
      visible = policyVisibility(() => embedded.activePolicyText(), (p, r, k) => neverPermits(cedar as unknown as CedarApi, p, r, k), config.agent.id);
    } catch (e) {
      await local.shutdown().catch(() => {});
      throw e;
    }
  } else {
    governor = await remoteGovernor(config.kernel.url, config.agent.id, await agentKey(config, fromConfig, null));
  }
  let catalog: Catalog;
  try {
    catalog = await connectUpstreams(config.upstreams, log);
  } catch (e) {
    await shutdownKernel().catch(() => {});
    throw e;
  }
  log(`kee mcp-gateway: agent \`${config.agent.id}\`, ${governor.mode} kernel, ${catalog.tools.size} tools from ${catalog.upstreams.map((u) => `\`${u.name}\``).join(', ')}`);
  // tools/list_changed to the agents: an upstream's list changed, or a profile swap changed what is hidden
  const changes = new ToolListNotifier(catalog, visible, log);
  catalog.onToolsChanged(() => changes.check());
  // the epoch hook's commit runs in the turn of the swap: look once the new set serves
  kernel?.onPolicyEpoch(async () => () => void setImmediate(() => changes.check()));

  const sessions = new Set<GatewaySession>();
  const closeSession = async (s: GatewaySession) => {
    sessions.delete(s);
    const block = await s.closeKee().catch((e: unknown) => {
      log(`kee mcp-gateway: the Kee session could not be closed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
    if (!block) return;
    log(`kee mcp-gateway: session closed: Session Block ${block.block_id}`);
    if (packagesDir && kernel) {
      await mkdir(packagesDir, { recursive: true });
      const file = join(packagesDir, `${block.block_id}.json`);
      await writeFile(file, JSON.stringify(await kernel.getPackage(block.block_id)));
      log(`kee mcp-gateway: audit package ${file}`);
    }
  };
  const newSession = () => {
    const s = createGatewaySession({ governor, catalog, sha256, log, changes, resultRecords: config.result_records });
    sessions.add(s);
    return s;
  };

  let stopping: Promise<number> | null = null;
  const stop = (closeListener: () => unknown = () => {}) => {
    stopping ??= (async () => {
      closeListener();
      await Promise.all([...sessions].map(closeSession));
      await catalog.close();
      await shutdownKernel().catch(() => {});
      return 0;
    })();
    return stopping;
  };

  if (!listen) {
    const session = newSession();
    const transport = new StdioServerTransport();
    await session.server.connect(transport);
    const done = new Promise<number>((resolveDone) => {
      const end = () => void stop().then(resolveDone);
      process.stdin.once('end', end);
      process.stdin.once('close', end);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, end);
    });
    return done;
  }

  let boundPort = listen.port;
  const transports = new Map<string, { transport: StreamableHTTPServerTransport; session: GatewaySession }>();
  const http = createServer((req, res) => void handle(req, res).catch((e: unknown) => httpError(res, 500, e instanceof Error ? e.message : String(e))));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://gateway').pathname !== '/mcp') return httpError(res, 404, 'the MCP endpoint is /mcp');
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    if (body instanceof Error) return httpError(res, 400, body.message);
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (known) return known.transport.handleRequest(req, res, body);
    if (sid !== undefined) return httpError(res, 404, 'unknown or closed MCP session');
    if (req.method !== 'POST' || !isInitializeRequest(body)) return httpError(res, 400, 'no MCP session: start with an initialize request');
    const session = newSession();
    const host = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${boundPort}`;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableDnsRebindingProtection: true,
      allowedHosts: [host, `localhost:${boundPort}`],
      onsessioninitialized: (id) => void transports.set(id, { transport, session }),
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
      void closeSession(session);
    };
    await session.server.connect(transport);
    return transport.handleRequest(req, res, body);
  };
  try {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(listen.port, listen.host, () => ok());
    });
  } catch (e) {
    await stop();
    const code = (e as { code?: string }).code;
    throw new Error(code === 'EADDRINUSE' ? `--http: ${listen.host}:${listen.port} is in use: choose another port` : `--http: cannot listen on ${listen.host}:${listen.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const address = http.address();
  boundPort = typeof address === 'object' && address ? address.port : listen.port;
  log(`kee mcp-gateway: listening on http://${listen.host}:${boundPort}/mcp`);
  return new Promise<number>((resolveDone) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(() => http.close()).then(resolveDone));
  });
}

/** The agent's private JWK: `agent.key`, else (embedded) `<data dir>/mcp-agents/<id>.jwk`, made on first use (0600). */
async function agentKey(config: GatewayConfig, fromConfig: (p: string) => string, dataDir: string | null): Promise<AgentPrivateJwk> {
  const file = config.agent.key ? fromConfig(config.agent.key) : join(dataDir as string, 'mcp-agents', `${encodeURIComponent(config.agent.id)}.jwk`);
  try {
    const jwk = JSON.parse(await readFile(file, 'utf8')) as AgentPrivateJwk;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new Error(`\`${file}\` is not an Ed25519 private JWK (kee agent keygen)`);
    return jwk;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT' || config.agent.key) throw e instanceof SyntaxError ? new Error(`\`${file}\` is not JSON`) : e;
  }
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  const jwk: AgentPrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: x as string, d: d as string };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  log(`kee mcp-gateway: made the agent key ${file}`);
  return jwk;
}

const MAX_BODY = 4 * 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return new Error(`the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return new Error('the body is not JSON');
  }
}

function httpError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function usageLine(message: string): number {
  console.error(`kee mcp-gateway: ${message}`);
  return 2;
}
