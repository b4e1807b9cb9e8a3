/**
 * `kee signer …`: the FROST participant sidecar and the operator's key ceremonies.
 *
 *   kee signer serve --share <file> (--port <n> [--host <addr>] | --socket <path>)
 *                    (--coordinator-key <hex> | --coordinator-key-file <file>)
 *                    [--ceremony [--participant <id>] (--peers <file> | --dev-trust-coordinator)]
 *                    [--identity-key <file>] [--attest <configfs-tsm|none> [--tsm-root <dir>]]
 *   kee signer identity --share <file> [--identity-key <file>]
 *   kee signer keygen [--data-dir <dir>] [--threshold <t>] [--participants <n>] [--force] [--sidecars <list>]
 *     (writes frost/coordinator-ed25519.key, the coordinator's seed, and .pub, its public key)
 *   kee signer refresh [--data-dir <dir>] [--sidecars <list>]
 *   kee signer repair <id> [--data-dir <dir>] [--sidecars <list>]
 *   kee signer coordinator-key [--data-dir <dir>]
 *
 * Without `--sidecars` the ceremonies run in this process against the share files of the data
 * directory; with it, among running `serve --ceremony` sidecars (`cli-signer-ceremony.ts`), each
 * keeping its own share. Share files are opened with KEE_SHARE_KEK / KEE_SHARE_KEK_FILE (or the
 * generated `share-kek.hex` beside them). Ceremonies run with the kernel stopped; their
 * transcripts are recorded in the kernel journal at its next start.
 */
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import process from 'node:process';
import { getRequestListener } from '@hono/node-server';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CoordinatorVerifier, coordinatorPublicKey } from '../adapters/frost/coordinator-auth.ts';
import { checkFrostConfig } from '../adapters/frost/ceremony.ts';
import { unwrap } from '../adapters/frost/participant.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { initKeeWasm, type KeeWasm } from '../adapters/wasm/load.ts';
import { createSidecarHost, type SidecarHost } from '../http/sidecar-ceremony-routes.ts';
import { CeremonyParticipant } from '../adapters/frost/ceremony-participant.ts';
import { identityPublicKey } from '../adapters/frost/ceremony-crypto.ts';
import type { WasmFrostParticipant } from '../adapters/wasm/load.ts';
import { defaultIdentityPath, loadIdentity, readPeers, storeShare } from './sidecar-files.ts';
import { coordinatorKey, keygenSidecars, refreshSidecars, repairSidecars } from './cli-signer-ceremony.ts';
import { sidecarListener } from './sidecar-listener.ts';
import { DomainError, isDomainError } from '../kernel/errors.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { nodeEd25519 } from './node-ed25519.ts';
import { frostDir, loadOrCreateKeyFile, readPublic, readShare, resolveKek } from './frost-files.ts';
import { generateKeys, refreshKeys, repairKey } from './frost-keys.ts';
import { join } from 'node:path';
import { SidecarAttestor } from '../adapters/tee/attestor.ts';
import { ConfigfsTsmProvider, DEFAULT_TSM_ROOT } from './tee-configfs-tsm.ts';

const USAGE = `usage:
  kee signer serve --share <file> (--port <n> [--host <addr>] | --socket <path>)
                   (--coordinator-key <hex> | --coordinator-key-file <file>)
                   [--ceremony [--participant <id>] (--peers <file> | --dev-trust-coordinator)]
                   [--identity-key <file>] [--attest <configfs-tsm|none> [--tsm-root <dir>]]
      serve one FROST participant (round 1, round 2, cancel) to the coordinator only; with
      --ceremony also the key ceremony routes, and <file> may not exist yet (awaits its key);
      with --attest also POST /v1/attestation: TEE evidence binding a nonce and the identity key
  kee signer identity --share <file> [--identity-key <file>]
      print the sidecar's Ed25519 identity public key (hex; created beside the share if missing)
  kee signer keygen [--data-dir <dir>] [--threshold <t>] [--participants <n>] [--force]
      run a DKG: sealed share files, public package, coordinator key under <dir>/frost
  kee signer keygen --sidecars <[id=]url|unix:path,...> [--data-dir <dir>] [--threshold <t>] [--force]
      run the DKG among running sidecars: each keeps its own share; <dir> gets the public package
  kee signer refresh [--data-dir <dir>] [--sidecars <list>]   new shares, same group key (FROST_RESHARD)
  kee signer repair <id> [--data-dir <dir>] [--sidecars <list>]
      restore participant <id>'s share from the others (with --sidecars: inside its sidecar)
  kee signer coordinator-key [--data-dir <dir>]  print the coordinator's public key (hex)`;

class UsageError extends Error {}

type Flags = { positional: string[]; values: Map<string, string>; switches: Set<string> };

function parseFlags(args: string[], valued: string[], switches: string[]): Flags {
  const out: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      out.values.set(a, v);
    } else if (switches.includes(a)) out.switches.add(a);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

const loadWasm = async (): Promise<KeeWasm> => initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
const dataDir = (f: Flags) => f.values.get('--data-dir') ?? process.env.KEE_DATA_DIR ?? './data';
const log = (line: string) => console.error(line);
const print = (line: string) => console.log(line);

function int(f: Flags, name: string): number | undefined {
  const v = f.values.get(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a whole number`);
  return Number(v);
}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'serve':
        return await serve(parseFlags(rest, ['--share', '--port', '--host', '--socket', '--coordinator-key', '--coordinator-key-file', '--participant', '--peers', '--identity-key', '--attest', '--tsm-root'], ['--ceremony', '--dev-trust-coordinator']));
      case 'identity': {
        const f = parseFlags(rest, ['--share', '--identity-key'], []);
        const share = f.values.get('--share');
        if (!share || f.positional.length > 0) throw new UsageError('identity needs --share <file>');
        console.log(toHex(identityPublicKey((await loadIdentity(identityPath(f, share))).key)));
        return 0;
      }
      case 'keygen': {
        const f = parseFlags(rest, ['--data-dir', '--threshold', '--participants', '--sidecars'], ['--force']);
        const sidecars = f.values.get('--sidecars');
        if (sidecars === undefined) return await keygen(f);
        if (f.positional.length > 0) throw new UsageError('keygen takes no arguments');
        return await keygenSidecars({ dir: frostDir(dataDir(f)), sidecars, threshold: int(f, '--threshold'), participants: int(f, '--participants'), force: f.switches.has('--force'), log, print });
      }
      case 'refresh': {
        const f = parseFlags(rest, ['--data-dir', '--sidecars', '--threshold'], []);
        if (f.positional.length > 0) throw new UsageError('refresh takes no arguments');
        const dir = frostDir(dataDir(f));
        const sidecars = f.values.get('--sidecars');
        if (sidecars !== undefined) return await refreshSidecars({ dir, sidecars, threshold: int(f, '--threshold'), log, print });
        if (f.values.has('--threshold')) throw new UsageError('--threshold goes with --sidecars (refresh keeps t)');
        const t = await refreshKeys(dir, await loadWasm(), await resolveKek(process.env, dir, { create: false, log }));
        console.log(`refreshed the shares of participants ${(t.participants as number[]).join(', ')}: group key ${String(t.group_key)} unchanged; FROST_RESHARD is recorded at the kernel's next start`);
        return 0;
      }
      case 'repair': {
        const f = parseFlags(rest, ['--data-dir', '--sidecars'], []);
        const id = Number(f.positional[0]);
        if (f.positional.length !== 1 || !Number.isInteger(id) || id < 1) throw new UsageError('repair needs one participant id');
        const dir = frostDir(dataDir(f));
        const sidecars = f.values.get('--sidecars');
        if (sidecars !== undefined) return await repairSidecars({ dir, sidecars, lost: id, log, print });
        const t = await repairKey(dir, await loadWasm(), await resolveKek(process.env, dir, { create: false, log }), id);
        console.log(`restored the share of participant ${id} with the help of participants ${(t.helpers as number[]).join(', ')}; FROST_RESHARD is recorded at the kernel's next start`);
        return 0;
      }
      case 'coordinator-key': {
        const f = parseFlags(rest, ['--data-dir'], []);
        console.log(toHex(coordinatorPublicKey(await coordinatorKey(frostDir(dataDir(f))))));
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        console.log(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command \`signer ${verb}\``);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kee: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (isDomainError(e)) {
      console.error(`kee: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function keygen(f: Flags): Promise<number> {
  if (f.positional.length > 0) throw new UsageError('keygen takes no arguments');
  const dir = frostDir(dataDir(f));
  const existing = await readPublic(dir);
  const t = int(f, '--threshold') ?? 2;
  const n = int(f, '--participants') ?? Math.max(3, t);
  checkFrostConfig(t, n);
  if (existing && !f.switches.has('--force')) {
    const p = parsePublicPackage(existing);
    throw new DomainError('INVALID_INPUT', `\`${dir}\` already holds a frost key (${p.threshold}-of-${p.verifyingShares.size}); --force replaces it with a new group key`);
  }
  if (existing && t < parsePublicPackage(existing).threshold) throw new DomainError('INVALID_INPUT', `lowering t below the key's ${parsePublicPackage(existing).threshold} is refused`);
  const wasm = await loadWasm();
  const kek = await resolveKek(process.env, dir, { create: true, log });
  const keys = await generateKeys(dir, wasm, kek, { t, n });
  for (const p of keys.participants) p.free();
  const { key } = await loadOrCreateKeyFile(join(dir, 'coordinator-ed25519.key'), () => ed25519.utils.randomSecretKey());
  // the public half, for the sidecars' --coordinator-key-file (never give them the .key file)
  await writeFile(join(dir, 'coordinator-ed25519.pub'), `${toHex(coordinatorPublicKey(key))}\n`);
  console.log(`frost key frost:t-of-n:${t}-${n}, group key ${String(keys.transcript.group_key)}`);
  console.log(`share files: ${keys.participants.map((p) => join(dir, `share-${p.id}.json`)).join(', ')}`);
  console.log(`coordinator public key (for kee signer serve --coordinator-key): ${toHex(coordinatorPublicKey(key))}`);
  return 0;
}

async function serve(f: Flags): Promise<number> {
  const sharePath = f.values.get('--share');
  if (!sharePath || f.positional.length > 0) throw new UsageError('serve needs --share <file>');
  const port = int(f, '--port');
  const socket = f.values.get('--socket');
  if ((port === undefined) === (socket === undefined)) throw new UsageError('serve needs exactly one of --port and --socket');
  if (port !== undefined && port > 65535) throw new UsageError('--port must be 0 to 65535');
  const host = f.values.get('--host') ?? '127.0.0.1';
  const ceremonyMode = f.switches.has('--ceremony');
  const peersPath = f.values.get('--peers');
  const devTrust = f.switches.has('--dev-trust-coordinator');
  if (!ceremonyMode && (peersPath !== undefined || devTrust || f.values.has('--participant'))) throw new UsageError('--peers, --dev-trust-coordinator and --participant go with --ceremony');
  // Without the peers' identity keys a coordinator could swap exchange keys and read every
  // round-2 package, i.e. learn the group secret: refused unless the operator says "dev".
  if (ceremonyMode && (peersPath === undefined) === !devTrust) throw new UsageError('--ceremony needs exactly one of --peers <file> and --dev-trust-coordinator (development only)');
  const attestMode = f.values.get('--attest');
  if (attestMode !== undefined && attestMode !== 'configfs-tsm' && attestMode !== 'none') throw new UsageError('--attest must be configfs-tsm or none');
  if (f.values.has('--tsm-root') && attestMode !== 'configfs-tsm') throw new UsageError('--tsm-root goes with --attest configfs-tsm');
  const coordinator = await coordinatorKeyArg(f);

  const kek = await resolveKek(process.env, dirname(sharePath), { create: ceremonyMode, log });
  const share = await readShare(sharePath, kek);
  if (!share && !ceremonyMode) {
    kek.fill(0);
    throw new DomainError('INVALID_INPUT', `no share file \`${sharePath}\` (--ceremony serves without one, awaiting a key ceremony)`);
  }
  if (!ceremonyMode) kek.fill(0); // with --ceremony it seals the share a ceremony produces
  const wasm = await loadWasm();
  let handle: WasmFrostParticipant | null = null;
  if (share) {
    try {
      handle = unwrap(wasm.FrostParticipant.importShare(share), `share file \`${sharePath}\``);
    } finally {
      share.fill(0);
    }
  }
  const id = handle?.identifier ?? (await ceremonyParticipantId(f, peersPath, sharePath));
  const wanted = int(f, '--participant');
  if (wanted !== undefined && wanted !== id) throw new DomainError('INVALID_INPUT', `--participant ${wanted} but the share file holds participant ${id}`);
  const auth = new CoordinatorVerifier(coordinator, id, Date.now, nodeEd25519);
  let ceremony: CeremonyParticipant | undefined;
  let sidecar: SidecarHost | null = null;
  if (ceremonyMode) {
    const identity = await loadIdentity(identityPath(f, sharePath));
    if (identity.created) log(`kee signer: created the identity key \`${identityPath(f, sharePath)}\` (mode 0600)`);
    if (devTrust) log('kee signer: warning: --dev-trust-coordinator: ceremony peers are not checked against known identity keys; the coordinator could read the secret packages (development only)');
    ceremony = new CeremonyParticipant({
      id,
      wasm,
      identitySeed: identity.key,
      peers: async () => (peersPath ? readPeers(peersPath) : null),
      current: () => sidecar?.current() ?? null,
      install: async (next) => {
        await storeShare(sharePath, next, kek);
        sidecar?.install(next);
        const p = parsePublicPackage(next.publicPackage());
        log(`kee signer: participant ${id} now serves its new share of group key ${toHex(p.groupKey)} (sealed to \`${sharePath}\`)`);
      },
    });
  }
  // the attestation lives in the signer process itself: the evidence must come from the guest that holds the share
  let attestor: SidecarAttestor | undefined;
  if (attestMode !== undefined) {
    const identity = await loadIdentity(identityPath(f, sharePath));
    if (identity.created) log(`kee signer: created the identity key \`${identityPath(f, sharePath)}\` (mode 0600)`);
    attestor = new SidecarAttestor(attestMode === 'configfs-tsm' ? new ConfigfsTsmProvider({ root: f.values.get('--tsm-root') ?? DEFAULT_TSM_ROOT }) : null, identity.key);
  }
  sidecar = createSidecarHost({ id, auth, participant: handle, ...(ceremony ? { ceremony } : {}), ...(attestor ? { attestor } : {}) });
  // the signing routes straight from node:http, everything else through the Hono host; one session table
  const server = createServer(sidecarListener(() => sidecar?.frost() ?? null, getRequestListener(sidecar.app.fetch)));
  // keep the coordinator's keep-alive connections open between signatures (Node closes them after
  // 5 s idle): its health probe every 15 s keeps them warm, and a signature need not reconnect
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  if (socket) await rm(socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (socket) server.listen(socket, resolve);
    else server.listen(port, host, resolve);
  });
  if (socket) await chmod(socket, 0o600);
  const addr = server.address();
  const where = socket ? `unix:${socket}` : typeof addr === 'object' && addr ? `http://${addr.address}:${addr.port}` : String(addr);
  if (!socket && !['127.0.0.1', '::1', 'localhost'].includes(host)) log(`kee signer: warning: listening on ${host}: requests are authenticated, not encrypted; put TLS in front beyond loopback`);
  if (handle) {
    const pub = parsePublicPackage(handle.publicPackage());
    console.log(`kee signer: participant ${id} of frost:t-of-n:${pub.threshold}-${pub.verifyingShares.size} (group key ${toHex(pub.groupKey)}) listening on ${where}`);
  } else console.log(`kee signer: participant ${id} awaiting its key (ceremony) listening on ${where}`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  server.close();
  sidecar.current()?.free();
  kek.fill(0);
  if (socket) await rm(socket, { force: true });
  return 0;
}

const identityPath = (f: Flags, sharePath: string) => f.values.get('--identity-key') ?? defaultIdentityPath(sharePath);

/** A key-less sidecar's participant id: `--participant`, else its own identity key's entry in the peers file. */
async function ceremonyParticipantId(f: Flags, peersPath: string | undefined, sharePath: string): Promise<number> {
  const given = int(f, '--participant');
  if (given !== undefined) {
    if (given < 1 || given > 255) throw new UsageError('--participant must be 1 to 255');
    return given;
  }
  if (!peersPath) throw new UsageError('a sidecar without a share needs --participant <id> (or its identity key in --peers)');
  const mine = toHex(identityPublicKey((await loadIdentity(identityPath(f, sharePath))).key));
  const found = [...(await readPeers(peersPath))].filter(([, key]) => toHex(key) === mine).map(([n]) => n);
  if (found.length !== 1) throw new DomainError('INVALID_INPUT', `the peers file \`${peersPath}\` does not name this sidecar's identity key ${mine} exactly once: give --participant <id>`);
  return found[0] as number;
}

async function coordinatorKeyArg(f: Flags): Promise<Uint8Array> {
  let hex = f.values.get('--coordinator-key');
  const file = f.values.get('--coordinator-key-file');
  if ((hex === undefined) === (file === undefined)) throw new UsageError('serve needs exactly one of --coordinator-key and --coordinator-key-file');
  if (file !== undefined) {
    try {
      await stat(file);
      hex = await readFile(file, 'utf8');
    } catch {
      throw new DomainError('INVALID_INPUT', `the coordinator key file \`${file}\` cannot be read`);
    }
  }
  const key = fromHex((hex ?? '').trim().toLowerCase());
  if (!key || key.length !== 32) throw new DomainError('INVALID_INPUT', 'the coordinator key must be an Ed25519 public key: 64 hex characters');
  return key;
}
