/**
 * Key ceremonies for the FROST signer (KEE-1 §7, digest 4.6): distributed key generation,
 * the development-only trusted dealer, share refresh and share repair. Each returns a
 * transcript with no secrets, to be recorded as a KERNEL_AUDIT_ANOMALY with `event_type`
 * `"FROST_CEREMONY"` (key generation) or `"FROST_RESHARD"` (refresh, repair).
 *
 * The orchestration here runs every party in one runtime; DKG round-2 packages and repair
 * deltas and sigmas are secret shares in transit: between hosts they must travel over
 * confidential, mutually authenticated channels (KEE-1 §9.3), addressed to one recipient each.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { KeeWasm, WasmFrostDkg, WasmFrostParticipant } from '../wasm/load.ts';
import { InProcessParticipant, unwrap } from './participant.ts';
import { parsePublicPackage } from './public-package.ts';

export const FROST_SCHEME = 'FROST(Ed25519, SHA-512)';
export const FROST_LIBRARY = 'frost-ed25519 3.0.0';

/** The public result of a ceremony, without secrets. */
export type FrostCeremonyTranscript = {
  event_type: 'FROST_CEREMONY';
  scheme: typeof FROST_SCHEME;
  library: typeof FROST_LIBRARY;
  mode: 'dkg' | 'trusted_dealer';
  threshold: number;
  participants: number[];
  /** `frost:t-of-n:<t>-<n>`, as the GEC Manifest declares it. */
  deployment_constraint: string;
  group_key: string;
  /** SHA-256 of the group key (the KIA key id). */
  group_key_id: string;
  verifying_shares: Record<string, string>;
  /** SHA-256 of each participant's broadcast round-1 package (commitments and proof of knowledge). */
  round1_packages_sha256?: Record<string, string>;
  /** A ceremony among sidecars: its id and each participant's identity key. */
  ceremony_id?: string;
  participant_identity_keys?: Record<string, string>;
};

export type FrostReshardTranscript = {
  event_type: 'FROST_RESHARD';
  scheme: typeof FROST_SCHEME;
  library: typeof FROST_LIBRARY;
  kind: 'refresh' | 'repair';
  threshold: number;
  participants: number[];
  deployment_constraint: string;
  /** Unchanged by a reshard. */
  group_key: string;
  group_key_id: string;
  previous_verifying_shares: Record<string, string>;
  verifying_shares: Record<string, string>;
  round1_packages_sha256?: Record<string, string>;
  /** Repair: who helped, whose share was restored. */
  helpers?: number[];
  repaired?: number;
  ceremony_id?: string;
  participant_identity_keys?: Record<string, string>;
};

export type FrostKeySet = { participants: InProcessParticipant[]; publicPackage: Uint8Array; groupKey: Uint8Array };

/** Checks a (t, n) configuration: (2, 3) or upward (t >= 2, n >= 3, t <= n). */
export function checkFrostConfig(t: number, n: number): void {
  const ok = Number.isInteger(t) && Number.isInteger(n) && t >= 2 && n >= 3 && t <= n && n <= 255;
  if (!ok) throw new DomainError('INVALID_INPUT', `frost (t, n) is (${t}, ${n}), want t >= 2, n >= 3, t <= n (default (2, 3))`);
}

/** The public facts of a group (t, ids, group key and its id, verifying shares), for transcripts. */
export function describe(publicPackage: Uint8Array) {
  const p = parsePublicPackage(publicPackage);
  const ids = [...p.verifyingShares.keys()];
  return {
    threshold: p.threshold,
    participants: ids,
    deployment_constraint: `frost:t-of-n:${p.threshold}-${ids.length}`,
    group_key: toHex(p.groupKey),
    group_key_id: toHex(sha256(p.groupKey)),
    verifying_shares: Object.fromEntries(ids.map((id) => [String(id), toHex(p.verifyingShares.get(id) as Uint8Array)])),
  };
}

function keySet(handles: WasmFrostParticipant[]): FrostKeySet {
  const participants = handles.map((h) => new InProcessParticipant(h)).sort((a, b) => a.id - b.id);
  const first = participants[0];
  if (!first) throw new DomainError('SIGNER_FAILED', 'the ceremony produced no participants');
  const publicPackage = first.publicPackage();
  for (const p of participants) {
    if (toHex(p.publicPackage()) !== toHex(publicPackage)) throw new DomainError('SIGNER_FAILED', `participant ${p.id} ended the ceremony with a different public package`);
  }
  return { participants, publicPackage, groupKey: publicPackage.slice(4, 36) };
}

/**
 * Runs the three DKG steps among `parties` (each a `FrostDkg` handle already begun): broadcast
 * round-1 packages, deliver each round-2 package to its recipient, finish. Returns the new
 * participant handles and the SHA-256 of each round-1 package.
 */
function exchange(parties: { id: number; dkg: WasmFrostDkg }[]): { handles: WasmFrostParticipant[]; round1: Record<string, string> } {
  const round1 = new Map(parties.map((p) => [p.id, p.dkg.round1Package()]));
  const inbox = new Map<number, { from: number; pkg: Uint8Array }[]>(parties.map((p) => [p.id, []]));
  try {
    for (const p of parties) {
      const others = parties.filter((q) => q.id !== p.id);
      const out = unwrap(
        p.dkg.part2(
          Uint16Array.from(others.map((q) => q.id)),
          others.map((q) => round1.get(q.id) as Uint8Array),
        ),
        `participant ${p.id} dkg part 2`,
      );
      out.ids.forEach((to, i) => inbox.get(to)?.push({ from: p.id, pkg: out.packages[i] as Uint8Array }));
    }
    const handles = parties.map((p) => {
      const mine = inbox.get(p.id) ?? [];
      return unwrap(p.dkg.finish(Uint16Array.from(mine.map((m) => m.from)), mine.map((m) => m.pkg)), `participant ${p.id} dkg finish`);
    });
    return { handles, round1: Object.fromEntries([...round1].map(([id, pkg]) => [String(id), toHex(sha256(pkg))])) };
  } finally {
    for (const p of parties) p.dkg.free();
    for (const m of inbox.values()) for (const x of m) x.pkg.fill(0);
  }
}

/** Distributed key generation (frost-core `keys::dkg`) among participants 1..=n, threshold t. */
export function runDkg(wasm: KeeWasm, config: { t?: number; n?: number } = {}): FrostKeySet & { transcript: FrostCeremonyTranscript } {
  const t = config.t ?? 2;
  const n = config.n ?? 3;
  checkFrostConfig(t, n);
  const parties: { id: number; dkg: WasmFrostDkg }[] = [];
  for (let id = 1; id <= n; id++) parties.push({ id, dkg: unwrap(wasm.FrostDkg.begin(id, t, n), `participant ${id} dkg part 1`) });
  const { handles, round1 } = exchange(parties);
  const set = keySet(handles);
  const transcript: FrostCeremonyTranscript = {
    event_type: 'FROST_CEREMONY',
    scheme: FROST_SCHEME,
    library: FROST_LIBRARY,
    mode: 'dkg',
    ...describe(set.publicPackage),
    round1_packages_sha256: round1,
  };
  return { ...set, transcript };
}

/** Trusted-dealer key generation (RFC 9591 Appendix C). Development only: the dealer sees the key. */
export function trustedDealerKeygen(wasm: KeeWasm, config: { t?: number; n?: number } = {}): FrostKeySet & { transcript: FrostCeremonyTranscript } {
  const t = config.t ?? 2;
  const n = config.n ?? 3;
  checkFrostConfig(t, n);
  const set = keySet(unwrap(wasm.frostTrustedDealer(t, n), 'trusted dealer'));
  const transcript: FrostCeremonyTranscript = { event_type: 'FROST_CEREMONY', scheme: FROST_SCHEME, library: FROST_LIBRARY, mode: 'trusted_dealer', ...describe(set.publicPackage) };
  return { ...set, transcript };
}

/**
 * Refreshes every given participant's share (frost-core `keys::refresh`, DKG variant): the group
 * key and threshold stay, the shares change, and old shares no longer combine with new ones.
 * Participants left out are removed from the group. Lowering t is refused. The old participants
 * stay usable until the caller frees them.
 */
export function refreshShares(participants: readonly InProcessParticipant[], config: { t?: number } = {}): FrostKeySet & { transcript: FrostReshardTranscript } {
  const first = participants[0];
  if (!first) throw new DomainError('INVALID_INPUT', 'no participants to refresh');
  const before = describe(first.publicPackage());
  const t = config.t ?? before.threshold;
  if (t < before.threshold) throw new DomainError('INVALID_INPUT', `refresh cannot lower the frost threshold from ${before.threshold} to ${t}`);
  if (t > before.threshold) throw new DomainError('INVALID_INPUT', `refresh keeps the frost threshold at ${before.threshold}: raise it to ${t} with a new ceremony`);
  if (participants.length < t) throw new DomainError('INVALID_INPUT', `a refresh needs at least ${t} participants, got ${participants.length}`);
  const n = participants.length;
  const parties = participants.map((p) => ({ id: p.id, dkg: unwrap(p.handle.beginRefresh(t, n), `participant ${p.id} refresh part 1`) }));
  const { handles, round1 } = exchange(parties);
  const set = keySet(handles);
  const after = describe(set.publicPackage);
  if (after.group_key !== before.group_key) throw new DomainError('SIGNER_FAILED', 'refresh changed the frost group key');
  const transcript: FrostReshardTranscript = {
    event_type: 'FROST_RESHARD',
    scheme: FROST_SCHEME,
    library: FROST_LIBRARY,
    kind: 'refresh',
    ...after,
    previous_verifying_shares: before.verifying_shares,
    round1_packages_sha256: round1,
  };
  return { ...set, transcript };
}

/**
 * Restores the share of participant `lost` with the help of at least t other participants
 * (frost-core `keys::repairable`). The restored share equals the lost one, so the group key and
 * every verifying share are unchanged.
 */
export function repairShare(wasm: KeeWasm, helpers: readonly InProcessParticipant[], lost: number): { participant: InProcessParticipant; transcript: FrostReshardTranscript } {
  const first = helpers[0];
  if (!first) throw new DomainError('INVALID_INPUT', 'no helpers to repair a share');
  const publicPackage = first.publicPackage();
  const before = describe(publicPackage);
  if (helpers.length < before.threshold) throw new DomainError('INVALID_INPUT', `repair needs at least ${before.threshold} helpers, got ${helpers.length}`);
  const ids = Uint16Array.from(helpers.map((h) => h.id));
  // Each helper's deltas, one per helper; helper j sums the deltas addressed to j.
  const received = new Map<number, Uint8Array[]>(helpers.map((h) => [h.id, []]));
  for (const h of helpers) {
    const d = unwrap(h.handle.repairDeltas(ids, lost), `participant ${h.id} repair deltas`);
    d.ids.forEach((to, i) => received.get(to)?.push(d.deltas.slice(32 * i, 32 * i + 32)));
    d.deltas.fill(0);
  }
  const sigmas = new Uint8Array(32 * helpers.length);
  helpers.forEach((h, i) => {
    const mine = received.get(h.id) ?? [];
    const flat = new Uint8Array(32 * mine.length);
    mine.forEach((d, k) => {
      flat.set(d, 32 * k);
      d.fill(0);
    });
    const sigma = unwrap(wasm.frostRepairSigma(flat), `participant ${h.id} repair sigma`);
    flat.fill(0);
    sigmas.set(sigma, 32 * i);
    sigma.fill(0);
  });
  const handle = unwrap(wasm.frostRepairShare(sigmas, lost, publicPackage), `participant ${lost} repair`);
  sigmas.fill(0);
  return { participant: new InProcessParticipant(handle), transcript: repairTranscript(publicPackage, [...ids], lost) };
}

/** The FROST_RESHARD transcript of a repair: group key and verifying shares unchanged. */
export function repairTranscript(publicPackage: Uint8Array, helpers: number[], repaired: number): FrostReshardTranscript {
  const before = describe(publicPackage);
  return { event_type: 'FROST_RESHARD', scheme: FROST_SCHEME, library: FROST_LIBRARY, kind: 'repair', ...before, previous_verifying_shares: before.verifying_shares, helpers, repaired };
}
