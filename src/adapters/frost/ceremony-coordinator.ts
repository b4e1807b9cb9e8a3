/**
 * The coordinator's side of a FROST ceremony among sidecars (`kee signer keygen|refresh|repair
 * --sidecars`): it only relays. Every request is signed with the coordinator key; it sees
 * announcements (public) and packages sealed to their recipients, never a secret. The sidecars
 * check each other's announcements; this side checks only what it relays and that everyone
 * ends with the same public package, then tells them to commit.
 *
 * Steps (see `ceremony-participant.ts`): part1 to all, part2 to all with every announcement,
 * part3 to each with the packages addressed to it (repair: helpers first, their sigmas then go to
 * the lost participant), commit. A failure before commit aborts the ceremony on every sidecar,
 * so nothing is written anywhere. Web APIs only.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, randomHex, toHex } from '../../kernel/hex.ts';
import { FROST_LIBRARY, FROST_SCHEME, describe, repairTranscript, type FrostCeremonyTranscript, type FrostReshardTranscript } from './ceremony.ts';
import type { SealedPackage } from './ceremony-crypto.ts';
import { commitAnswer, packagesAnswer, part3Answer, signedAnnouncement, type CeremonyKind, type SignedAnnouncement } from './ceremony-wire.ts';
import { coordinatorHeaders, coordinatorSigningKey } from './coordinator-auth.ts';
import type { Transport } from './http-participant.ts';
import { z } from 'zod';

const utf8 = new TextEncoder();
const abortAnswer = z.object({ aborted: z.boolean() });

/** One sidecar as the ceremony coordinator reaches it. */
export class CeremonyClient {
  readonly id: number;
  private readonly base: string;
  private readonly key: Promise<CryptoKey>;
  private readonly send: Transport;

  constructor(opts: { id: number; baseUrl: string; coordinatorKey: Uint8Array; transport?: Transport }) {
    this.id = opts.id;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.key = coordinatorSigningKey(opts.coordinatorKey);
    this.key.catch(() => undefined);
    this.send = opts.transport ?? ((r) => fetch(r));
  }

  /** Signed POST to `/v1/frost/ceremony/<step>`; the answer parsed with `schema`, else SIGNER_FAILED naming the sidecar. */
  async post<S extends z.ZodType>(step: string, value: unknown, schema: S): Promise<z.infer<S>> {
    const path = `/v1/frost/ceremony/${step}`;
    const body = utf8.encode(JSON.stringify(value));
    const headers = { 'content-type': 'application/json', ...(await coordinatorHeaders(await this.key, { method: 'POST', path: new URL(`${this.base}${path}`).pathname, participant: this.id, body })) };
    let res: Response;
    try {
      res = await this.send(new Request(`${this.base}${path}`, { method: 'POST', headers, body }));
    } catch (e) {
      throw new DomainError('SIGNER_FAILED', `participant ${this.id} at ${this.base} is unreachable (${step})`, { cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const p = (json ?? {}) as { code?: unknown; detail?: unknown };
      throw new DomainError('SIGNER_FAILED', `participant ${this.id} refused ${step}: ${typeof p.code === 'string' ? `${p.code}: ` : ''}${typeof p.detail === 'string' ? p.detail : `HTTP ${res.status}`}`, { cause: { status: res.status, code: p.code } });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new DomainError('SIGNER_FAILED', `participant ${this.id} answered ${step} with a malformed body`);
    return parsed.data;
  }
}

export type CeremonyResult<T> = {
  publicPackage: Uint8Array;
  transcript: T;
  /** Participants that stored their new share. */
  committed: number[];
  /** Participants whose commit failed, with why. */
  uncommitted: { id: number; message: string }[];
};

const all = <T>(clients: readonly CeremonyClient[], fn: (c: CeremonyClient) => Promise<T>) => Promise.all(clients.map(fn));

async function abortAll(clients: readonly CeremonyClient[], ceremonyId: string): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.post('abort', { ceremony_id: ceremonyId }, abortAnswer)));
}

async function announce(clients: readonly CeremonyClient[], body: Record<string, unknown>, ceremonyId: string): Promise<SignedAnnouncement[]> {
  return all(clients, async (c) => {
    const a = await c.post('part1', body, signedAnnouncement);
    if (a.announcement.participant !== c.id || a.announcement.ceremony_id !== ceremonyId) throw new DomainError('SIGNER_FAILED', `participant ${c.id} announced itself as participant ${a.announcement.participant} of ceremony ${a.announcement.ceremony_id}`);
    return a;
  });
}

/** Sends part 2 to `clients`; returns the sealed packages grouped by recipient (each checked to come from its sender). */
async function exchange(clients: readonly CeremonyClient[], ceremonyId: string, announcements: SignedAnnouncement[], recipients: readonly number[]): Promise<Map<number, SealedPackage[]>> {
  const inbox = new Map<number, SealedPackage[]>(recipients.map((id) => [id, []]));
  const answers = await all(clients, async (c) => ({ from: c.id, out: await c.post('part2', { ceremony_id: ceremonyId, announcements }, packagesAnswer) }));
  for (const { from, out } of answers) route(inbox, from, out.packages);
  return inbox;
}

function route(inbox: Map<number, SealedPackage[]>, from: number, packages: SealedPackage[]): void {
  for (const p of packages) {
    const box = inbox.get(p.to);
    if (p.from !== from || !box) throw new DomainError('SIGNER_FAILED', `participant ${from} sent a package from ${p.from} to ${p.to}`);
    box.push(p);
  }
}

/** Part 3 to clients that end with a key; all must compute the same public package. */
async function finish(clients: readonly CeremonyClient[], ceremonyId: string, inbox: Map<number, SealedPackage[]>): Promise<Uint8Array> {
  const answers = await all(clients, async (c) => {
    const a = await c.post('part3', { ceremony_id: ceremonyId, packages: inbox.get(c.id) ?? [] }, part3Answer);
    if (!('public_package' in a)) throw new DomainError('SIGNER_FAILED', `participant ${c.id} answered part 3 without a public package`);
    return a.public_package;
  });
  const first = answers[0] as string;
  const odd = clients.filter((_, i) => answers[i] !== first).map((c) => c.id);
  if (odd.length > 0) throw new DomainError('SIGNER_FAILED', `participants ${odd.join(', ')} computed another public package than participant ${clients[0]?.id}`);
  return fromHex(first) as Uint8Array;
}

async function commit(clients: readonly CeremonyClient[], ceremonyId: string, publicPackage: Uint8Array): Promise<{ committed: number[]; uncommitted: { id: number; message: string }[] }> {
  const digest = toHex(sha256(publicPackage));
  const results = await Promise.allSettled(clients.map((c) => c.post('commit', { ceremony_id: ceremonyId, public_package_sha256: digest }, commitAnswer)));
  const committed: number[] = [];
  const uncommitted: { id: number; message: string }[] = [];
  results.forEach((r, i) => {
    const id = (clients[i] as CeremonyClient).id;
    if (r.status === 'fulfilled') committed.push(id);
    else uncommitted.push({ id, message: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return { committed, uncommitted };
}

const round1Hashes = (list: SignedAnnouncement[]) =>
  Object.fromEntries(list.filter((a) => a.announcement.round1_package !== '').map((a) => [String(a.announcement.participant), toHex(sha256(fromHex(a.announcement.round1_package) as Uint8Array))]));
const identityKeys = (list: SignedAnnouncement[]) => Object.fromEntries(list.map((a) => [String(a.announcement.participant), a.announcement.identity_key]));

/** Runs the steps before commit; on any failure aborts the ceremony on every sidecar, then rethrows. */
async function guarded<T>(clients: readonly CeremonyClient[], ceremonyId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    await abortAll(clients, ceremonyId);
    throw e;
  }
}

const sorted = (clients: readonly CeremonyClient[]) => [...clients].sort((a, b) => a.id - b.id);

/**
 * A DKG (`kind: 'dkg'`, new group key, participants 1..n) or a refresh (`'refresh'`, same group
 * key and threshold, new shares; `current` is the group's public package) among the sidecars.
 */
export async function runSidecarDkg(o: { kind: Extract<CeremonyKind, 'dkg' | 'refresh'>; clients: readonly CeremonyClient[]; threshold: number; current?: Uint8Array }): Promise<CeremonyResult<FrostCeremonyTranscript | FrostReshardTranscript>> {
  const clients = sorted(o.clients);
  const ids = clients.map((c) => c.id);
  const ceremonyId = randomHex(16);
  const { publicPackage, announcements } = await guarded(clients, ceremonyId, async () => {
    const announcements = await announce(clients, { ceremony_id: ceremonyId, kind: o.kind, participants: ids, threshold: o.threshold }, ceremonyId);
    const inbox = await exchange(clients, ceremonyId, announcements, ids);
    const publicPackage = await finish(clients, ceremonyId, inbox);
    if (o.current && toHex(publicPackage.subarray(4, 36)) !== toHex(o.current.subarray(4, 36))) throw new DomainError('SIGNER_FAILED', 'the refresh changed the group key');
    return { publicPackage, announcements };
  });
  const result = await commit(clients, ceremonyId, publicPackage);
  const common = { scheme: FROST_SCHEME, library: FROST_LIBRARY, ...describe(publicPackage), round1_packages_sha256: round1Hashes(announcements), ceremony_id: ceremonyId, participant_identity_keys: identityKeys(announcements) } as const;
  const transcript: FrostCeremonyTranscript | FrostReshardTranscript =
    o.kind === 'dkg'
      ? { event_type: 'FROST_CEREMONY', mode: 'dkg', ...common }
      : { event_type: 'FROST_RESHARD', kind: 'refresh', ...common, previous_verifying_shares: describe(o.current as Uint8Array).verifying_shares };
  return { publicPackage, transcript, ...result };
}

/** Restores participant `lost`'s share from `helpers` (at least t); the lost sidecar serves awaiting a key. */
export async function runSidecarRepair(o: { helpers: readonly CeremonyClient[]; lost: CeremonyClient; publicPackage: Uint8Array }): Promise<CeremonyResult<FrostReshardTranscript>> {
  const helpers = sorted(o.helpers);
  const ids = helpers.map((c) => c.id);
  const everyone = [...helpers, o.lost];
  const before = describe(o.publicPackage);
  const ceremonyId = randomHex(16);
  const announcements = await guarded(everyone, ceremonyId, async () => {
    const body = { ceremony_id: ceremonyId, kind: 'repair', participants: ids, threshold: before.threshold, lost: o.lost.id, public_package: toHex(o.publicPackage) };
    const announcements = await announce(everyone, body, ceremonyId);
    const deltas = await exchange(everyone, ceremonyId, announcements, ids);
    const sigmas = new Map<number, SealedPackage[]>([[o.lost.id, []]]);
    const answers = await all(helpers, async (c) => ({ from: c.id, a: await c.post('part3', { ceremony_id: ceremonyId, packages: deltas.get(c.id) ?? [] }, part3Answer) }));
    for (const { from, a } of answers) {
      if (!('packages' in a)) throw new DomainError('SIGNER_FAILED', `helper ${from} answered part 3 without its sigma`);
      route(sigmas, from, a.packages);
    }
    const restored = await finish([o.lost], ceremonyId, sigmas);
    if (toHex(restored) !== toHex(o.publicPackage)) throw new DomainError('SIGNER_FAILED', `participant ${o.lost.id} restored a share of another group`);
    return announcements;
  });
  const result = await commit([o.lost], ceremonyId, o.publicPackage);
  const transcript: FrostReshardTranscript = { ...repairTranscript(o.publicPackage, ids, o.lost.id), ceremony_id: ceremonyId, participant_identity_keys: identityKeys(announcements) };
  return { publicPackage: o.publicPackage, transcript, ...result };
}
