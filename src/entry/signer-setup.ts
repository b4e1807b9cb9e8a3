/**
 * The kernel's signer, from the environment (Node, Bun, Deno; see README "Signer"):
 *
 * - `KEE_SIGNER=frost` (default): FROST(Ed25519, SHA-512), (t, n) = (2, 3) unless
 *   `KEE_FROST_THRESHOLD` / `KEE_FROST_PARTICIPANTS_N` raise it on first start. Participants run
 *   in this process from the sealed share files under `$KEE_DATA_DIR/frost/` (created on first
 *   start by a DKG), or, with `KEE_FROST_PARTICIPANTS=<url|unix:path>,…`, as sidecars
 *   (`kee signer serve`) reached with requests signed by the coordinator key.
 * - `KEE_SIGNER=ed25519`: the single key `$KEE_DATA_DIR/kernel-ed25519.key` (L1).
 *
 * Also the quorum-failure plumbing: alerts (a JSON line on stderr, and `KEE_ALERT_WEBHOOK`),
 * the close retry window and probe intervals.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { allSinks, lineAlertSink, webhookAlertSink } from '../adapters/alert/alert-sinks.ts';
import { checkFrostConfig } from '../adapters/frost/ceremony.ts';
import { FrostSigner } from '../adapters/frost/frost-signer.ts';
import { HttpParticipant } from '../adapters/frost/http-participant.ts';
import type { InProcessParticipant, Participant } from '../adapters/frost/participant.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import type { KeeWasm } from '../adapters/wasm/load.ts';
import type { SigningMonitorOptions } from '../kernel/audit/signing-monitor.ts';
import { DomainError, isDomainError } from '../kernel/errors.ts';
import { fromHex } from '../kernel/hex.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { AlertSink } from '../ports/alert.ts';
import type { Signer } from '../ports/signer.ts';
import { type Env, frostDir, loadOrCreateKeyFile, pendingEvents, readPublic, resolveKek } from './frost-files.ts';
import { generateKeys, loadParticipants, requirePublic } from './frost-keys.ts';
import { nodeEd25519 } from './node-ed25519.ts';
import { nodeHttpExchange, unixExchange } from './unix-transport.ts';
import { AttestationGate } from '../adapters/tee/attestation-gate.ts';
import type { TeeAttestationEntry } from '../kernel/attestation/evidence.ts';
import { readPeers } from './sidecar-files.ts';
import { loadTeeRoots, NodeTeeChainVerifier } from './tee-chain.ts';

export type SignerSetup = {
  signer: Signer;
  /** How the key is held, for the computed conformance level. */
  kind: 'frost-sidecars' | 'frost-in-process' | 'ed25519';
  /** With sidecars: fresh verified TEE evidence from each (issue 21), for every manifest epoch. */
  attest?: () => Promise<TeeAttestationEntry[]>;
  alerts: AlertSink;
  options: SigningMonitorOptions;
  /** Records queued ceremony transcripts in the kernel journal and starts the signer probes. */
  attach(kernel: Kernel): Promise<void>;
  /** Stops probes and frees in-process shares. */
  close(): void;
};

type Options = { dataDir: string; wasm: KeeWasm; env?: Env; log?: (line: string) => void };

export async function setupSigner(o: Options): Promise<SignerSetup> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((line: string) => console.error(line));
  const options: SigningMonitorOptions = {
    closeRetryMs: intEnv(env, 'KEE_CLOSE_RETRY_MS', 10_000),
    probeIntervalMs: intEnv(env, 'KEE_SIGNER_PROBE_MS', 2_000),
    healthIntervalMs: intEnv(env, 'KEE_SIGNER_HEALTH_MS', 15_000),
  };
  const sinks: AlertSink[] = [lineAlertSink(log)];
  if (env.KEE_ALERT_WEBHOOK) sinks.push(webhookAlertSink(env.KEE_ALERT_WEBHOOK, log));
  const alerts = allSinks(sinks);
  const dir = frostDir(o.dataDir);
  const legacyKey = join(o.dataDir, 'kernel-ed25519.key');
  let kind = env.KEE_SIGNER ?? 'frost';
  if (env.KEE_SIGNER === undefined && !env.KEE_FROST_PARTICIPANTS && (await exists(legacyKey)) && !(await readPublic(dir))) {
    // a data dir from before FROST keeps its kernel identity unless the operator asks to switch
    log(`kee: keeping the single Ed25519 kernel key \`${legacyKey}\` of this data directory (KEE_SIGNER=frost switches to a new FROST key)`);
    kind = 'ed25519';
  }
  let kernelRef: Kernel | null = null;
  const base = {
    alerts,
    options,
    close: () => kernelRef?.stop(),
  };

  if (kind === 'ed25519') {
    const { key } = await loadOrCreateKeyFile(legacyKey, Ed25519Signer.generateSeed);
    return { ...base, kind: 'ed25519', signer: new Ed25519Signer(key), attach: async () => {} };
  }
  if (kind !== 'frost') throw new DomainError('INVALID_INPUT', `KEE_SIGNER is \`${kind}\`, want \`frost\` (default) or \`ed25519\``);

  const requested = { t: optionalInt(env, 'KEE_FROST_THRESHOLD'), n: optionalInt(env, 'KEE_FROST_PARTICIPANTS_N') };
  let participants: Participant[];
  let publicPackage: Uint8Array;
  let owned: InProcessParticipant[] = [];
  let gate: AttestationGate | null = null;
  if (env.KEE_FROST_PARTICIPANTS) {
    publicPackage = await requirePublic(dir);
    checkRequested(publicPackage, requested);
    const coordinatorKey = await loadCoordinatorKey(env, dir);
    const sidecars = parseParticipants(env.KEE_FROST_PARTICIPANTS, coordinatorKey);
    // issue 21: each sidecar attests at every manifest epoch; failed evidence excludes it from signing
    const roots = env.KEE_TEE_ROOTS ? await loadTeeRoots(env.KEE_TEE_ROOTS) : null;
    const pinned = env.KEE_FROST_PEERS ? await readPeers(env.KEE_FROST_PEERS) : undefined;
    gate = new AttestationGate(sidecars, { ed25519: ed25519Verifier, ...(roots ? { chain: new NodeTeeChainVerifier(roots) } : {}), ...(pinned ? { pinned } : {}) });
    participants = sidecars.map((p) => (gate as AttestationGate).guard(p));
    log(`kee: frost signer ${describe(publicPackage)} with sidecar participants ${participants.map((p) => p.id).join(', ')}`);
  } else {
    const existing = await readPublic(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!existing) {
      const t = requested.t ?? 2;
      const n = requested.n ?? Math.max(3, t);
      checkFrostConfig(t, n);
      const kek = await resolveKek(env, dir, { create: true, log });
      const keys = await generateKeys(dir, o.wasm, kek, { t, n });
      kek.fill(0);
      owned = keys.participants;
      publicPackage = keys.publicPackage;
      log(`kee: first start: ran the frost DKG (${describe(publicPackage)}); shares sealed under \`${dir}\``);
    } else {
      publicPackage = existing;
      checkRequested(publicPackage, requested);
      const kek = await resolveKek(env, dir, { create: false, log });
      const loaded = await loadParticipants(dir, o.wasm, kek, publicPackage);
      kek.fill(0);
      owned = loaded.participants;
      if (loaded.missing.length > 0) log(`kee: frost share files of participants ${loaded.missing.join(', ')} are missing: restore them with \`kee signer repair <id>\``);
    }
    participants = owned;
  }
  const signer = new FrostSigner({ wasm: o.wasm, publicPackage, participants });
  const attestGate = gate;
  return {
    ...base,
    signer,
    kind: attestGate ? 'frost-sidecars' : 'frost-in-process',
    ...(attestGate ? { attest: () => attestGate.collect() } : {}),
    close: () => {
      kernelRef?.stop();
      for (const p of owned) p.free();
      owned = [];
    },
    attach: async (kernel) => {
      kernelRef = kernel;
      signer.onCulprits = (ids, message) => void kernel.reportSignerFault(ids, message);
      for (const { event, done } of await pendingEvents(dir)) {
        await kernel.recordSignerEvent(event);
        await done();
      }
      kernel.startSigningMonitor();
    },
  };
}

/**
 * The signer settings that can be checked without reading or writing a file, so that a start
 * with a bad one fails before anything is created; `setupSigner` checks them again.
 */
export function checkSignerEnv(env: Env = process.env): void {
  const kind = env.KEE_SIGNER;
  if (kind !== undefined && kind !== 'frost' && kind !== 'ed25519') throw new DomainError('INVALID_INPUT', `KEE_SIGNER is \`${kind}\`, want \`frost\` (default) or \`ed25519\``);
  for (const name of ['KEE_FROST_THRESHOLD', 'KEE_FROST_PARTICIPANTS_N', 'KEE_CLOSE_RETRY_MS', 'KEE_SIGNER_PROBE_MS', 'KEE_SIGNER_HEALTH_MS']) optionalInt(env, name);
}

const describe = (pkg: Uint8Array) => {
  const p = parsePublicPackage(pkg);
  return `frost:t-of-n:${p.threshold}-${p.verifyingShares.size}`;
};

/** (t, n) may only be what the key has: lowering t is refused, raising needs a new ceremony. */
function checkRequested(pkg: Uint8Array, r: { t: number | undefined; n: number | undefined }): void {
  const p = parsePublicPackage(pkg);
  const t = r.t ?? p.threshold;
  const n = r.n ?? p.verifyingShares.size;
  if (t < p.threshold) throw new DomainError('INVALID_INPUT', `KEE_FROST_THRESHOLD=${t} is below the key's threshold ${p.threshold}: lowering t is refused`);
  if (t !== p.threshold || n !== p.verifyingShares.size) {
    throw new DomainError(
      'INVALID_INPUT',
      `the frost key is ${describe(pkg)}; (${t}, ${n}) needs a new ceremony and a new group key: \`kee signer keygen --threshold ${t} --participants ${n} --force\``,
    );
  }
}

/** `[<id>=]<url | unix:/path>` entries, comma-separated; without `id=`, the position (1-based). */
function parseParticipants(list: string, coordinatorKey: Uint8Array): HttpParticipant[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry, i) => {
      const m = /^(\d+)=(.+)$/.exec(entry);
      const id = m ? Number(m[1]) : i + 1;
      const target = m ? (m[2] as string) : entry;
      if (target.startsWith('unix:')) return new HttpParticipant({ id, baseUrl: 'http://localhost', coordinatorKey, ed25519: nodeEd25519, exchange: unixExchange(target.slice(5)) });
      if (!/^https?:\/\//.test(target)) throw new DomainError('INVALID_INPUT', `KEE_FROST_PARTICIPANTS entry \`${entry}\` is not an http(s) URL or unix:<path>`);
      // plain http over node:http (cheaper per request on Node 20); https through fetch
      return new HttpParticipant({ id, baseUrl: target, coordinatorKey, ed25519: nodeEd25519, ...(target.startsWith('http:') ? { exchange: nodeHttpExchange() } : {}) });
    });
}

/** `KEE_FROST_COORDINATOR_KEY` (hex seed), `KEE_FROST_COORDINATOR_KEY_FILE`, or `frost/coordinator-ed25519.key`. */
async function loadCoordinatorKey(env: Env, dir: string): Promise<Uint8Array> {
  if (env.KEE_FROST_COORDINATOR_KEY) {
    const key = fromHex(env.KEE_FROST_COORDINATOR_KEY.trim().toLowerCase());
    if (!key || key.length !== 32) throw new DomainError('INVALID_INPUT', 'KEE_FROST_COORDINATOR_KEY must be 64 hex characters (an Ed25519 seed)');
    return key;
  }
  const path = env.KEE_FROST_COORDINATOR_KEY_FILE ?? join(dir, 'coordinator-ed25519.key');
  try {
    const { key } = await loadOrCreateKeyFile(path, () => {
      throw new DomainError('INVALID_INPUT', `no coordinator key \`${path}\`: run \`kee signer keygen\` or set KEE_FROST_COORDINATOR_KEY`);
    });
    return key;
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw new DomainError('INVALID_INPUT', `the coordinator key \`${path}\` cannot be read`);
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

function optionalInt(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new DomainError('INVALID_INPUT', `${name} must be a whole number, got \`${v}\``);
  return Number(v);
}

function intEnv(env: Env, name: string, fallback: number): number {
  return optionalInt(env, name) ?? fallback;
}
