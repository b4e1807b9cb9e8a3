/**
 * `kee agent keygen | register | session | authorize | close`: an agent's side from the shell,
 * for KEE_AUTH=agents (docs/identity.md "Agent authentication"), through `kee/client`:
 *
 * - `keygen --out <file>`: a new Ed25519 private JWK (mode 0600, never overwritten); prints the public JWK;
 * - `register --agent <id> --key <file> --token <operator token> [--url <kernel>]`: registers the agent with that key;
 * - `session --agent <id> --key <file> [--url <kernel>] [--state <file>]`: opens an authenticated session
 *   (client assertion) and keeps its id, block id and session token with the key's path in a state
 *   file (mode 0600, default `.kee-agent-session.json`) that `authorize` and `close` read; prints the
 *   session (`session_id`, `block_id`, `agent_id`, `state`), not the token;
 * - `authorize --action <id> --resource <Type::id> [--context <json>] [--audience <aud>] [--hem-id <id>] [--state <file>]`:
 *   asks, in that session (DPoP), for `Agent::"<id>"` to do the action, and prints the decision (with its
 *   credential) as JSON; with `--agent <id> --key <file> [--url]` instead, a session of its own
 *   (opened, asked, closed);
 * - `close [--state <file>]`: closes the session, prints its signed Session Block, removes the state file.
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import process from 'node:process';
import { exportJWK, generateKeyPair } from 'jose';
import { KeeAgent, KeeError, KeeSession, type AgentPrivateJwk } from '../client/index.ts';

const USAGE = `usage:
  kee agent keygen --out <file>
      a new Ed25519 agent key: the private JWK in <file> (mode 0600); prints the public JWK
  kee agent register --agent <id> --key <file> --token <operator token> [--url <kernel>]
      register the agent with the public half of <file> (token: kee operator token --role operator)
  kee agent session --agent <id> --key <file> [--url <kernel>] [--state <file>]
      open an authenticated session (client assertion); its token goes to the state file
  kee agent authorize --action <id> --resource <Type::id> [--context <json>] [--audience <aud>] [--hem-id <id>] [--state <file>]
      a decision in the session of the state file (DPoP proof); prints the decision and credential
  kee agent authorize --agent <id> --key <file> --action <id> --resource <Type::id> [… ] [--url <kernel>]
      the same in a session of its own: open (client assertion), authorize, close
  kee agent close [--state <file>]
      close the session of the state file: prints its signed Session Block, removes the file
  (--url defaults to KEE_URL, else http://127.0.0.1:8787; --state to .kee-agent-session.json)`;

/** What \`kee agent session\` keeps for \`authorize\` and \`close\`. */
type SessionState = { url: string; agent_id: string; key: string; session_id: string; block_id: string; session_token: string };

const DEFAULT_STATE = '.kee-agent-session.json';

const FLAGS = ['--out', '--agent', '--key', '--token', '--url', '--action', '--resource', '--context', '--audience', '--hem-id', '--state'];

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    (verb === undefined ? console.error : console.log)(USAGE);
    return verb === undefined ? 2 : 0;
  }
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i] as string;
    const value = rest[i + 1];
    if (!FLAGS.includes(flag)) return fail(`unknown option \`${flag}\`: \`kee agent --help\` lists the options`);
    if (value === undefined) return fail(`${flag} needs a value`);
    opts[flag.slice(2)] = value;
  }
  const need = (...names: string[]) => names.find((n) => opts[n] === undefined);
  const url = opts.url ?? process.env.KEE_URL?.trim() ?? 'http://127.0.0.1:8787';
  try {
    if (verb === 'keygen') {
      if (need('out')) return fail('give --out <file>');
      const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
      const { kty, crv, x, d } = await exportJWK(privateKey);
      await writeFile(opts.out as string, `${JSON.stringify({ kty, crv, x, d })}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(opts.out as string, 0o600);
      console.log(JSON.stringify({ kty, crv, x }));
      return 0;
    }
    if (verb === 'register') {
      const missing = need('agent', 'key', 'token');
      if (missing) return fail(`give --${missing}`);
      const { kty, crv, x } = await privateJwk(opts.key as string);
      const res = await fetch(`${url.replace(/\/+$/, '')}/v1/agents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ agent_id: opts.agent, public_keys: [{ kty, crv, x }] }),
      });
      const text = await res.text();
      if (!res.ok) return fail(`registration refused (${res.status}): ${text.slice(0, 400)}`, 1);
      console.log(text);
      return 0;
    }
    const stateFile = opts.state ?? DEFAULT_STATE;
    if (verb === 'session') {
      const missing = need('agent', 'key');
      if (missing) return fail(`give --${missing}`);
      const keyFile = resolve(opts.key as string);
      const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: url, agentId: opts.agent as string, privateJwk: await privateJwk(keyFile) });
      const session = await agent.openSession();
      const state: SessionState = { url, agent_id: opts.agent as string, key: keyFile, session_id: session.sessionId, block_id: session.blockId, session_token: session.token };
      // a fresh file (never one left readable by others): the token is bound to the key, but still private
      await rm(stateFile, { force: true });
      await writeFile(stateFile, `${JSON.stringify(state)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(stateFile, 0o600);
      console.log(JSON.stringify({ session_id: session.sessionId, block_id: session.blockId, agent_id: opts.agent, state: stateFile }));
      return 0;
    }
    if (verb === 'authorize') {
      const missing = need('action', 'resource');
      if (missing) return fail(`give --${missing}`);
      const m = /^([^:]+)::(.+)$/.exec(opts.resource as string);
      if (!m) return fail(`--resource must be <Type>::<id>, got \`${opts.resource}\``);
      let context: unknown = {};
      if (opts.context !== undefined) {
        try {
          context = JSON.parse(opts.context);
        } catch {
          return fail('--context must be a JSON object');
        }
        if (typeof context !== 'object' || context === null || Array.isArray(context)) return fail('--context must be a JSON object');
      }
      const request = (agentId: string) => ({ principal: { type: 'Agent', id: agentId }, action: { type: 'Action', id: opts.action }, resource: { type: m[1], id: m[2] }, context, ...(opts.audience ? { audience: opts.audience } : {}), ...(opts['hem-id'] ? { hem_id: opts['hem-id'] } : {}) });
      if (opts.agent === undefined && opts.key === undefined) {
        const { session, state } = await resumed(stateFile);
        console.log(JSON.stringify(await session.authorize(request(state.agent_id))));
        return 0;
      }
      const own = need('agent', 'key');
      if (own) return fail(`give --${own} (or neither, to use the session of \`kee agent session\`)`);
      const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: url, agentId: opts.agent as string, privateJwk: await privateJwk(opts.key as string) });
      const session = await agent.openSession();
      const decision = await session.authorize(request(opts.agent as string));
      await session.close();
      console.log(JSON.stringify(decision));
      return 0;
    }
    if (verb === 'close') {
      const { session } = await resumed(stateFile);
      const block = await session.close();
      await rm(stateFile, { force: true });
      console.log(JSON.stringify(block));
      return 0;
    }
  } catch (e) {
    if (e instanceof KeeError) return fail(e.message, 1);
    const code = (e as { code?: string }).code;
    if (code === 'EEXIST') return fail(`\`${opts.out}\` exists: agent keys are never overwritten`);
    if (e instanceof TypeError) return fail(`cannot reach the kernel at ${url}: ${e.message}`, 1);
    return fail(e instanceof Error ? e.message : String(e), 1);
  }
  return fail(`unknown command \`agent ${verb}\`: \`kee agent --help\` lists the commands`);
}

/** The session \`kee agent session\` opened, from its state file. */
async function resumed(file: string): Promise<{ session: KeeSession; state: SessionState }> {
  let state: SessionState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as SessionState;
  } catch (e) {
    throw new Error((e as { code?: string }).code === 'ENOENT' ? `no open session (\`${file}\`): open one with \`kee agent session --agent <id> --key <file>\`, or give --agent and --key` : `\`${file}\` is not a session state file`);
  }
  for (const k of ['url', 'agent_id', 'key', 'session_id', 'block_id', 'session_token'] as const) if (typeof state[k] !== 'string') throw new Error(`\`${file}\` is not a session state file (no \`${k}\`)`);
  const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: state.url, agentId: state.agent_id, privateJwk: await privateJwk(state.key) });
  return { session: new KeeSession(agent, state.session_id, state.block_id, state.session_token), state };
}

async function privateJwk(file: string): Promise<AgentPrivateJwk> {
  let jwk: AgentPrivateJwk;
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as AgentPrivateJwk;
  } catch (e) {
    throw new Error((e as { code?: string }).code === 'ENOENT' ? `no agent key \`${file}\`: make one with \`kee agent keygen --out ${file}\`` : `\`${file}\` is not a JWK`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') throw new Error(`\`${file}\` is not an Ed25519 private JWK`);
  return jwk;
}

function fail(message: string, code = 2): number {
  console.error(`kee: ${message}`);
  return code;
}
