/**
 * One sidecar's side of a FROST ceremony (DKG, refresh, repair) whose secrets are generated and
 * kept only in this process; the coordinator relays public announcements and sealed packages.
 *
 *   part1  {ceremony_id, kind, participants, threshold, lost?, public_package?}
 *          -> signed announcement (round-1 package, X25519 exchange key, identity key)
 *   part2  {ceremony_id, announcements}   every announcement is checked (same ceremony, and
 *          signed by the identity key the operator gave for its participant) before anything
 *          secret leaves: -> DKG round-2 packages / repair deltas, each sealed to its recipient
 *   part3  {ceremony_id, packages}         packages addressed to this participant, opened:
 *          DKG/refresh and the repaired participant -> {public_package} (new key held, not yet
 *          stored); a repair helper -> its sigma sealed to the lost participant
 *   commit {ceremony_id, public_package_sha256}  seals and stores the new share, serves with it
 *   abort  {ceremony_id}
 *
 * Any refusal drops the ceremony (its secrets are erased), so a coordinator must start again;
 * so does a new part 1 (a coordinator that crashed starts over) and CEREMONY_TTL_MS of silence.
 * A participant that holds a key refuses a new DKG (no silent re-key); one without a key
 * refuses to refresh or to help a repair. Web APIs only.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, toHex } from '../../kernel/hex.ts';
import { canonicalJson } from '../../kernel/jcs.ts';
import type { KeeWasm, WasmFrostDkg, WasmFrostParticipant } from '../wasm/load.ts';
import { checkFrostConfig } from './ceremony.ts';
import { CEREMONY_SCHEME, exchangeKeyPair, identityPublicKey, openPackage, sealPackage, signStatement, verifyStatement, type SealedPackage } from './ceremony-crypto.ts';
import type { Announcement, Part1Body, SignedAnnouncement } from './ceremony-wire.ts';
import { unwrap } from './participant.ts';
import { parsePublicPackage } from './public-package.ts';

/** A ceremony left open longer than this (the coordinator went away) is dropped, its secrets erased. */
export const CEREMONY_TTL_MS = 10 * 60_000;

export type CeremonyHost = {
  id: number;
  wasm: KeeWasm;
  /** The long-term Ed25519 identity seed (32 bytes). */
  identitySeed: Uint8Array;
  /**
   * The peers' identity keys by participant id (read at each part 1, so the operator can edit the
   * file); null only in the development mode that trusts the keys the announcements carry.
   */
  peers: () => Promise<Map<number, Uint8Array> | null>;
  /** The share this participant serves with, if any. */
  current: () => WasmFrostParticipant | null;
  /** Seals and stores the new share (0600), then serves with it. */
  install: (handle: WasmFrostParticipant) => Promise<void>;
};

type State = {
  id: string;
  step: 'part1' | 'part2' | 'pending';
  request: Part1Body;
  exchange: { secret: Uint8Array; public: Uint8Array };
  mine: SignedAnnouncement;
  peers: Map<number, Uint8Array> | null;
  dkg: WasmFrostDkg | null;
  /** repair: the group's public package. */
  publicPackage: Uint8Array | null;
  /** After part 2: every participant's verified announcement. */
  announced: Map<number, Announcement>;
  pending: WasmFrostParticipant | null;
  expiry: ReturnType<typeof setTimeout>;
};

const bytes = (hex: string) => fromHex(hex) ?? new Uint8Array(0);
const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const refuse = (message: string) => new DomainError('INVALID_INPUT', message);

export class CeremonyParticipant {
  private state: State | null = null;
  private readonly host: CeremonyHost;
  private readonly identityKey: string;

  constructor(host: CeremonyHost) {
    this.host = host;
    this.identityKey = toHex(identityPublicKey(host.identitySeed));
  }

  /** The open ceremony, if any (for `/healthz`). */
  get openCeremony(): { ceremony_id: string; kind: string; step: string } | null {
    const s = this.state;
    return s ? { ceremony_id: s.id, kind: s.request.kind, step: s.step } : null;
  }

  async part1(body: Part1Body): Promise<SignedAnnouncement> {
    // only the coordinator starts ceremonies: a new one replaces one it left open (it crashed)
    this.drop();
    const me = this.host.id;
    const ids = body.participants;
    if (!ids.every((x, i) => i === 0 || x > (ids[i - 1] as number))) throw refuse('`participants` must be ascending and distinct');
    const current = this.host.current();
    let dkg: WasmFrostDkg | null = null;
    let group: string | null = null;
    let publicPackage: Uint8Array | null = null;
    if (body.kind === 'dkg') {
      if (current) throw new DomainError('CONFLICT', `participant ${me} already holds a share of group key ${toHex(current.groupKey())}: a new key is refused (no silent re-key); refresh it, or serve a new share file`);
      checkFrostConfig(body.threshold, ids.length);
      if (!ids.every((x, i) => x === i + 1)) throw refuse('a dkg needs participants 1..n');
      dkg = unwrap(this.host.wasm.FrostDkg.begin(me, body.threshold, ids.length), `participant ${me} dkg part 1`);
    } else if (body.kind === 'refresh') {
      if (!current) throw new DomainError('CONFLICT', `participant ${me} holds no share to refresh`);
      const pub = parsePublicPackage(current.publicPackage());
      if (!sameIds(ids, [...pub.verifyingShares.keys()])) throw refuse(`a refresh needs every participant of the group (${[...pub.verifyingShares.keys()].join(', ')})`);
      if (body.threshold !== pub.threshold) throw refuse(`refresh keeps the frost threshold at ${pub.threshold}${body.threshold < pub.threshold ? ': lowering t is refused' : ': raise it with a new ceremony'}`);
      group = toHex(sha256(current.publicPackage()));
      dkg = unwrap(current.beginRefresh(body.threshold, ids.length), `participant ${me} refresh part 1`);
    } else {
      const lost = body.lost;
      if (lost === undefined || !body.public_package) throw refuse('a repair needs `lost` and `public_package`');
      if (ids.includes(lost)) throw refuse(`participant ${lost} cannot help repair its own share`);
      publicPackage = bytes(body.public_package);
      const pub = parsePublicPackage(publicPackage);
      if (!pub.verifyingShares.has(lost) || !ids.every((x) => pub.verifyingShares.has(x))) throw refuse('repair participants must belong to the group');
      if (ids.length < pub.threshold || body.threshold !== pub.threshold) throw refuse(`a repair needs at least ${pub.threshold} helpers and the group's threshold`);
      if (me === lost) {
        if (current) throw new DomainError('CONFLICT', `participant ${me} already holds a share: nothing to repair (no silent re-key)`);
      } else {
        if (!ids.includes(me)) throw refuse(`participant ${me} is neither a helper nor the lost participant`);
        if (!current) throw new DomainError('CONFLICT', `participant ${me} holds no share to help a repair`);
        if (toHex(current.publicPackage()) !== body.public_package) throw refuse(`\`public_package\` is not the group of participant ${me}`);
      }
      group = toHex(sha256(publicPackage));
    }
    if (!ids.includes(me) && !(body.kind === 'repair' && body.lost === me)) {
      dkg?.free();
      throw refuse(`participant ${me} is not in \`participants\``);
    }
    let peers: Map<number, Uint8Array> | null;
    try {
      peers = await this.host.peers();
      const mine = peers?.get(me);
      if (peers && (!mine || toHex(mine) !== this.identityKey)) throw refuse(`the peers file names another identity key for participant ${me} (this sidecar's is ${this.identityKey})`);
    } catch (e) {
      dkg?.free();
      throw e;
    }
    const exchange = exchangeKeyPair();
    const a: Announcement = {
      scheme: CEREMONY_SCHEME,
      ceremony_id: body.ceremony_id,
      kind: body.kind,
      participant: me,
      participants: ids,
      threshold: body.threshold,
      lost: body.lost ?? null,
      group,
      round1_package: dkg ? toHex(dkg.round1Package()) : '',
      exchange_key: toHex(exchange.public),
      identity_key: this.identityKey,
    };
    const mine = { announcement: a, signature: signStatement(this.host.identitySeed, a) };
    const expiry = setTimeout(() => {
      if (this.state?.id === body.ceremony_id) this.drop();
    }, CEREMONY_TTL_MS);
    (expiry as { unref?: () => void }).unref?.();
    this.state = { id: body.ceremony_id, step: 'part1', request: body, exchange, mine, peers, dkg, publicPackage, announced: new Map(), pending: null, expiry };
    return mine;
  }

  async part2(body: { ceremony_id: string; announcements: SignedAnnouncement[] }): Promise<{ packages: SealedPackage[] }> {
    const s = this.expect(body.ceremony_id, 'part1');
    return this.guard(async () => {
      this.checkAnnouncements(s, body.announcements);
      s.step = 'part2';
      const me = this.host.id;
      const r = s.request;
      if (s.dkg) {
        const others = r.participants.filter((x) => x !== me);
        const out = unwrap(
          s.dkg.part2(
            Uint16Array.from(others),
            others.map((x) => bytes((s.announced.get(x) as Announcement).round1_package)),
          ),
          `participant ${me} dkg part 2`,
        );
        const packages: SealedPackage[] = [];
        for (let i = 0; i < out.ids.length; i++) {
          const to = out.ids[i] as number;
          const pkg = out.packages[i] as Uint8Array;
          packages.push(await this.seal(s, 'round2', to, pkg));
          pkg.fill(0);
        }
        return { packages };
      }
      if (me === r.lost) return { packages: [] };
      const current = this.host.current();
      if (!current) throw new DomainError('CONFLICT', `participant ${me} lost its share during the repair`);
      const d = unwrap(current.repairDeltas(Uint16Array.from(r.participants), r.lost as number), `participant ${me} repair deltas`);
      try {
        const packages: SealedPackage[] = [];
        for (let i = 0; i < d.ids.length; i++) packages.push(await this.seal(s, 'delta', d.ids[i] as number, d.deltas.subarray(32 * i, 32 * i + 32)));
        return { packages };
      } finally {
        d.deltas.fill(0);
      }
    });
  }

  async part3(body: { ceremony_id: string; packages: SealedPackage[] }): Promise<{ public_package: string } | { packages: SealedPackage[] }> {
    const s = this.expect(body.ceremony_id, 'part2');
    return this.guard(async () => {
      const me = this.host.id;
      const r = s.request;
      const helper = r.kind === 'repair' && me !== r.lost;
      const senders = r.kind === 'repair' ? r.participants : r.participants.filter((x) => x !== me);
      const step = r.kind !== 'repair' ? 'round2' : helper ? 'delta' : 'sigma';
      const got = body.packages.map((p) => p.from);
      if (body.packages.some((p) => p.to !== me) || !sameIds([...got].sort((a, b) => a - b), senders)) {
        throw refuse(`part 3 needs exactly one ${step} package from each of participants ${senders.join(', ')}, addressed to ${me}`);
      }
      const ordered = senders.map((from) => body.packages.find((p) => p.from === from) as SealedPackage);
      const plain: Uint8Array[] = [];
      try {
        for (const p of ordered) plain.push(await this.open(s, step, p));
        if (s.dkg) {
          const handle = unwrap(s.dkg.finish(Uint16Array.from(senders), plain), `participant ${me} dkg part 3`);
          s.dkg.free();
          s.dkg = null;
          const before = this.host.current();
          if (r.kind === 'refresh' && before && toHex(handle.groupKey()) !== toHex(before.groupKey())) {
            handle.free();
            throw new DomainError('SIGNER_FAILED', 'the refresh changed the group key');
          }
          s.pending = handle;
          s.step = 'pending';
          return { public_package: toHex(handle.publicPackage()) };
        }
        const flat = new Uint8Array(32 * plain.length);
        plain.forEach((p, i) => flat.set(p, 32 * i));
        try {
          if (helper) {
            const sigma = unwrap(this.host.wasm.frostRepairSigma(flat), `participant ${me} repair sigma`);
            const sealed = await this.seal(s, 'sigma', r.lost as number, sigma);
            sigma.fill(0);
            this.drop(); // a helper's part ends here
            return { packages: [sealed] };
          }
          const handle = unwrap(this.host.wasm.frostRepairShare(flat, me, s.publicPackage as Uint8Array), `participant ${me} repair`);
          s.pending = handle;
          s.step = 'pending';
          return { public_package: toHex(handle.publicPackage()) };
        } finally {
          flat.fill(0);
        }
      } finally {
        for (const p of plain) p.fill(0);
      }
    });
  }

  async commit(body: { ceremony_id: string; public_package_sha256: string }): Promise<{ committed: true; participant: number; group_key: string }> {
    const s = this.expect(body.ceremony_id, 'pending');
    const handle = s.pending as WasmFrostParticipant;
    if (toHex(sha256(handle.publicPackage())) !== body.public_package_sha256) {
      this.drop();
      throw refuse('`public_package_sha256` is not the public package this participant computed: the participants disagree, ceremony aborted');
    }
    s.pending = null;
    this.drop();
    try {
      await this.host.install(handle);
    } catch (e) {
      handle.free();
      throw e;
    }
    return { committed: true, participant: this.host.id, group_key: toHex(handle.groupKey()) };
  }

  abort(body: { ceremony_id: string }): { aborted: boolean } {
    if (!this.state || this.state.id !== body.ceremony_id) return { aborted: false };
    this.drop();
    return { aborted: true };
  }

  /** Verifies every participant's announcement against this ceremony and the peers' identity keys. */
  private checkAnnouncements(s: State, list: SignedAnnouncement[]): void {
    const r = s.request;
    const expected = r.kind === 'repair' ? [...r.participants, r.lost as number].sort((a, b) => a - b) : r.participants;
    const got = list.map((x) => x.announcement.participant).sort((a, b) => a - b);
    if (!sameIds(got, expected)) throw refuse(`part 2 needs one announcement from each of participants ${expected.join(', ')}`);
    const mine = s.mine.announcement;
    for (const { announcement: a, signature } of list) {
      const who = `participant ${a.participant}`;
      if (a.participant === this.host.id) {
        if (canonicalJson(a) !== canonicalJson(mine) || signature !== s.mine.signature) throw refuse(`the announcement relayed as this participant's (${who}) is not the one it made`);
        s.announced.set(a.participant, a);
        continue;
      }
      const same = a.ceremony_id === mine.ceremony_id && a.kind === mine.kind && sameIds(a.participants, mine.participants) && a.threshold === mine.threshold && a.lost === mine.lost && a.group === mine.group;
      if (!same) throw refuse(`the announcement of ${who} is for another ceremony, kind, group or participant set`);
      if ((r.kind !== 'repair') !== (a.round1_package !== '')) throw refuse(`the announcement of ${who} has a wrong round-1 package`);
      if (s.peers) {
        const known = s.peers.get(a.participant);
        if (!known) throw refuse(`the peers file has no identity key for ${who}`);
        if (toHex(known) !== a.identity_key) throw refuse(`the announcement of ${who} carries identity key ${a.identity_key}, not the one in the peers file: refused (a swapped key)`);
      }
      if (!verifyStatement(bytes(a.identity_key), a, signature)) throw refuse(`the announcement of ${who} is not signed by its identity key: refused`);
      s.announced.set(a.participant, a);
    }
  }

  private seal(s: State, step: string, to: number, plain: Uint8Array): Promise<SealedPackage> {
    const them = s.announced.get(to);
    if (!them) throw refuse(`no announcement from participant ${to}`);
    return sealPackage(s.exchange.secret, bytes(them.exchange_key), { ceremonyId: s.id, step, from: this.host.id, to }, plain);
  }

  private open(s: State, step: string, p: SealedPackage): Promise<Uint8Array> {
    const them = s.announced.get(p.from) as Announcement;
    return openPackage(s.exchange.secret, bytes(them.exchange_key), { ceremonyId: s.id, step, from: p.from, to: this.host.id }, p);
  }

  private expect(ceremonyId: string, step: State['step']): State {
    const s = this.state;
    if (!s || s.id !== ceremonyId) throw new DomainError('CONFLICT', `no open ceremony \`${ceremonyId}\` on participant ${this.host.id}`);
    if (s.step !== step) throw new DomainError('CONFLICT', `ceremony \`${ceremonyId}\` is at ${s.step}, not ready for this step`);
    return s;
  }

  /** Runs a step; any failure drops the ceremony (secrets erased). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.drop();
      throw e;
    }
  }

  private drop(): void {
    const s = this.state;
    this.state = null;
    if (!s) return;
    clearTimeout(s.expiry);
    s.exchange.secret.fill(0);
    s.dkg?.free();
    s.pending?.free();
  }
}
