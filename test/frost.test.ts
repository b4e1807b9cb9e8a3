/**
 * FROST signing (KEE-1 P2) through the WASM build: DKG and dealer key generation, the FrostSigner
 * coordinator, nonce reuse, culprit naming, quorum failure, refresh, repair, and cross-checks
 * with `@noble/curves`' RFC 9591 FROST.
 *
 * Helpers bridging `@noble/curves`' own RFC 9591 FROST (`abstract/frost`, a pure-JS,
 * independent implementation) and Kee's formats come first.
 */
import { createPublicKey, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { checkFrostConfig, refreshShares, repairShare, runDkg, trustedDealerKeygen } from '../src/adapters/frost/ceremony.ts';
import { FrostSigner, FrostSigningError } from '../src/adapters/frost/frost-signer.ts';
import { InProcessParticipant } from '../src/adapters/frost/participant.ts';
import { isDomainError } from '../src/kernel/errors.ts';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import { packageVerdict } from '../src/audit-cli/verdict.ts';
import { makeHarness } from './support/harness.ts';
import { loadKeeWasm } from './support/wasm.ts';
import { ed25519_FROST as noble } from '@noble/curves/ed25519.js';
import type { FrostPublic as NoblePublic, FrostSecret as NobleSecret, Nonces } from '@noble/curves/abstract/frost.js';
import type { Participant, Round2Request } from '../src/adapters/frost/participant.ts';
import { encodePublicPackage, parsePublicPackage } from '../src/adapters/frost/public-package.ts';


/** Kee's public package from noble's (identifiers 1..=n made with `Identifier.fromNumber`). */
export function keePublicFromNoble(pub: NoblePublic, n: number): Uint8Array {
  const verifyingShares = new Map<number, Uint8Array>();
  for (let id = 1; id <= n; id++) verifyingShares.set(id, pub.verifyingShares[noble.Identifier.fromNumber(id)] as Uint8Array);
  return encodePublicPackage({ threshold: pub.signers.min, groupKey: pub.commitments[0] as Uint8Array, verifyingShares });
}

/** Kee's secret share format (crates/frost/src/wire.rs) from a noble share. */
export function keeShareFromNoble(secret: NobleSecret, id: number, keePublic: Uint8Array): Uint8Array {
  const out = new Uint8Array(35 + keePublic.length);
  out[0] = 1;
  new DataView(out.buffer).setUint16(1, id);
  out.set(secret.signingShare, 3);
  out.set(keePublic, 35);
  return out;
}

/** A noble share and public package from Kee's exported share. */
export function nobleFromKeeShare(share: Uint8Array): { id: number; secret: NobleSecret; pub: NoblePublic } {
  const id = new DataView(share.buffer, share.byteOffset).getUint16(1);
  const p = parsePublicPackage(share.slice(35));
  const verifyingShares: Record<string, Uint8Array> = {};
  for (const [i, vs] of p.verifyingShares) verifyingShares[noble.Identifier.fromNumber(i)] = vs;
  return {
    id,
    secret: { identifier: noble.Identifier.fromNumber(id), signingShare: share.slice(3, 35) },
    // noble's aggregate and signShare use commitments[0] (the group key) and the verifying shares
    pub: { signers: { min: p.threshold, max: p.verifyingShares.size }, commitments: [p.groupKey], verifyingShares } as NoblePublic,
  };
}

/** noble's commitment list from Kee's round-2 request. */
export function nobleCommitments(ids: readonly number[], commitments: Uint8Array) {
  return ids.map((id, i) => ({
    identifier: noble.Identifier.fromNumber(id),
    hiding: commitments.slice(64 * i, 64 * i + 32),
    binding: commitments.slice(64 * i + 32, 64 * i + 64),
  }));
}

/** A participant whose rounds are computed by noble's FROST: it signs alongside WASM participants. */
export class NobleParticipant implements Participant {
  readonly id: number;
  private readonly secret: NobleSecret;
  private readonly pub: NoblePublic;
  private readonly open = new Map<string, Nonces>();

  constructor(id: number, secret: NobleSecret, pub: NoblePublic) {
    this.id = id;
    this.secret = secret;
    this.pub = pub;
  }

  async round1(sessionId: Uint8Array): Promise<Uint8Array> {
    const { nonces, commitments } = noble.commit(this.secret);
    this.open.set(String(sessionId), nonces);
    const out = new Uint8Array(64);
    out.set(commitments.hiding, 0);
    out.set(commitments.binding, 32);
    return out;
  }

  async round2(r: Round2Request): Promise<Uint8Array> {
    const nonces = this.open.get(String(r.sessionId));
    if (!nonces) throw new Error('no nonces');
    this.open.delete(String(r.sessionId));
    return noble.signShare(this.secret, this.pub, nonces, nobleCommitments(r.ids, r.commitments), r.message);
  }

  async cancel(sessionId: Uint8Array): Promise<void> {
    this.open.delete(String(sessionId));
  }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

const wasm = loadKeeWasm();
const utf8 = (s: string) => new TextEncoder().encode(s);
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** Verifies as a plain Ed25519 signature with node:crypto and with @noble/curves. */
function verifiesEverywhere(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): void {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) }, format: 'jwk' });
  expect(sig.length).toBe(64);
  expect(verify(null, msg, key, sig)).toBe(true);
  expect(ed25519.verify(sig, msg, pub)).toBe(true);
  expect(noble.verify(sig, msg, pub)).toBe(true);
  expect(verify(null, utf8('something else'), key, sig)).toBe(false);
}

/** Wraps a participant, optionally unavailable or corrupting its share; counts the requests it gets. */
class Faulty implements Participant {
  readonly id: number;
  /** `gone-in-round2`: answers round 1, then goes away before round 2. */
  mode: 'ok' | 'down' | 'corrupt' | 'slow' | 'gone-in-round2' = 'ok';
  readonly inner: Participant;
  readonly calls = { round1: 0, round2: 0, cancel: 0 };
  constructor(inner: Participant) {
    this.inner = inner;
    this.id = inner.id;
  }
  async round1(s: Uint8Array) {
    this.calls.round1++;
    if (this.mode === 'down') throw new Error('connection refused');
    if (this.mode === 'slow') await new Promise((r) => setTimeout(r, 500));
    return this.inner.round1(s);
  }
  async round2(r: Round2Request) {
    this.calls.round2++;
    if (this.mode === 'gone-in-round2') {
      await this.inner.cancel(r.sessionId);
      throw new Error('connection reset');
    }
    const share = await this.inner.round2(r);
    if (this.mode === 'corrupt') share[0] = (share[0] as number) ^ 1;
    return share;
  }
  async cancel(s: Uint8Array) {
    this.calls.cancel++;
    return this.inner.cancel(s);
  }
}

const callsOf = (fs: Faulty[]) => fs.map((f) => ({ ...f.calls }));
const resetCalls = (fs: Faulty[]) => fs.forEach((f) => Object.assign(f.calls, { round1: 0, round2: 0, cancel: 0 }));

describe('FROST signer over WASM (2-of-3)', () => {
  const { participants, publicPackage, groupKey, transcript } = runDkg(wasm);

  it('runs a DKG and signs; each signature verifies as plain Ed25519 (node:crypto, @noble/curves)', async () => {
    const signer = new FrostSigner({ wasm, publicPackage, participants });
    expect(signer.publicKey()).toEqual(groupKey);
    expect(signer.config).toBe('frost:t-of-n:2-3');
    for (const m of ['', 'block', 'x'.repeat(10_000)]) {
      const sig = await signer.sign(utf8(m));
      verifiesEverywhere(sig, utf8(m), groupKey);
    }
  });

  it('signs with every pair of participants', async () => {
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const signer = new FrostSigner({ wasm, publicPackage, participants: pair.map((i) => participants[i] as Participant) });
      verifiesEverywhere(await signer.sign(utf8('pair')), utf8('pair'), groupKey);
    }
  });

  it('records a ceremony transcript without secrets', () => {
    expect(transcript).toMatchObject({ event_type: 'FROST_CEREMONY', mode: 'dkg', threshold: 2, participants: [1, 2, 3], deployment_constraint: 'frost:t-of-n:2-3' });
    expect(transcript.group_key).toBe(Buffer.from(groupKey).toString('hex'));
    expect(Object.keys(transcript.round1_packages_sha256 ?? {})).toEqual(['1', '2', '3']);
    const json = JSON.stringify(transcript);
    for (const p of participants) {
      const share = p.handle.exportShare();
      if (share.type !== 'success') throw new Error(share.error.message);
      expect(json).not.toContain(Buffer.from(share.value.slice(3, 35)).toString('hex'));
    }
  });

  it('refuses a second round 2 for the same session (NONCE_REUSE)', () => {
    const [p1, p2] = participants as [InProcessParticipant, InProcessParticipant];
    const sid = utf8('session-1');
    const c1 = p1.handle.round1(sid);
    const c2 = p2.handle.round1(sid);
    if (c1.type !== 'success' || c2.type !== 'success') throw new Error('round 1');
    const commitments = new Uint8Array([...c1.value, ...c2.value]);
    const ids = Uint16Array.from([1, 2]);
    expect(p1.handle.round2(sid, utf8('m'), ids, commitments).type).toBe('success');
    const again = p1.handle.round2(sid, utf8('m'), ids, commitments);
    expect(again).toMatchObject({ type: 'failure', error: { code: 'NONCE_REUSE' } });
    expect(p1.handle.round2(sid, utf8('other'), ids, commitments)).toMatchObject({ type: 'failure', error: { code: 'NONCE_REUSE' } });
    expect(p1.handle.round1(sid)).toMatchObject({ type: 'failure', error: { code: 'NONCE_REUSE' } });
    expect(p2.handle.cancel(sid)).toBe(true);
  });

  it('names the participant that sent a corrupt share', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    (faulty[1] as Faulty).mode = 'corrupt';
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty.slice(0, 2) });
    const err = await signer.sign(utf8('m')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrostSigningError);
    expect(err).toMatchObject({ code: 'SIGNER_FAILED', culprits: [2] });
    expect((err as Error).message).toBe('frost participants 2 sent invalid signature shares');
  });

  it('fails with SIGNER_FAILED naming the unavailable participants when fewer than t answer', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    (faulty[0] as Faulty).mode = 'down';
    (faulty[2] as Faulty).mode = 'slow';
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty, roundTimeoutMs: 100 });
    const err = await signer.sign(utf8('m')).catch((e: unknown) => e);
    expect(isDomainError(err, 'SIGNER_FAILED')).toBe(true);
    expect(err).toMatchObject({ unavailable: [1, 3] });
    expect((err as Error).message).toBe('only 1 of the 2 required frost participants are available: participants 1, 3 did not answer');
    // participants missing from the signer altogether are named too
    const two = new FrostSigner({ wasm, publicPackage, participants: [faulty[0] as Faulty] });
    await expect(two.sign(utf8('m'))).rejects.toMatchObject({ code: 'SIGNER_FAILED', unavailable: [1, 2, 3] });
    // with one down, the other two still sign
    (faulty[2] as Faulty).mode = 'ok';
    const ok = new FrostSigner({ wasm, publicPackage, participants: faulty });
    verifiesEverywhere(await ok.sign(utf8('m')), utf8('m'), groupKey);
  });

  it('asks only t participants while they answer: 2t requests a signature, none to the others', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty });
    for (let i = 0; i < 3; i++) verifiesEverywhere(await signer.sign(utf8(`m${i}`)), utf8(`m${i}`), groupKey);
    expect(callsOf(faulty)).toEqual([
      { round1: 3, round2: 3, cancel: 0 },
      { round1: 3, round2: 3, cancel: 0 },
      { round1: 0, round2: 0, cancel: 0 },
    ]);
  });

  it('replaces a participant that does not answer round 1 by the next one, and asks it last afterwards', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    (faulty[0] as Faulty).mode = 'down';
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty });
    verifiesEverywhere(await signer.sign(utf8('a')), utf8('a'), groupKey);
    expect(callsOf(faulty)).toEqual([
      { round1: 1, round2: 0, cancel: 0 },
      { round1: 1, round2: 1, cancel: 0 },
      { round1: 1, round2: 1, cancel: 0 },
    ]);
    // the next signatures go to the two that answered, without waiting on the one that did not
    resetCalls(faulty);
    verifiesEverywhere(await signer.sign(utf8('b')), utf8('b'), groupKey);
    expect(callsOf(faulty).map((c) => c.round1)).toEqual([0, 1, 1]);
    // it comes back, 3 goes down: 1 is asked again when 3 does not answer
    (faulty[0] as Faulty).mode = 'ok';
    (faulty[2] as Faulty).mode = 'down';
    resetCalls(faulty);
    verifiesEverywhere(await signer.sign(utf8('c')), utf8('c'), groupKey);
    expect(callsOf(faulty)).toEqual([
      { round1: 1, round2: 1, cancel: 0 },
      { round1: 1, round2: 1, cancel: 0 },
      { round1: 1, round2: 0, cancel: 0 },
    ]);
    // a hung participant costs one timeout, then is asked last
    (faulty[2] as Faulty).mode = 'ok';
    (faulty[1] as Faulty).mode = 'slow';
    const quick = new FrostSigner({ wasm, publicPackage, participants: faulty, roundTimeoutMs: 50 });
    verifiesEverywhere(await quick.sign(utf8('d')), utf8('d'), groupKey);
    resetCalls(faulty);
    verifiesEverywhere(await quick.sign(utf8('e')), utf8('e'), groupKey);
    expect(callsOf(faulty).map((c) => c.round1)).toEqual([1, 0, 1]);
  });

  it('a participant lost between the rounds: a new session with the others, never fewer than t signers', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    (faulty[1] as Faulty).mode = 'gone-in-round2';
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty });
    verifiesEverywhere(await signer.sign(utf8('m')), utf8('m'), groupKey);
    expect(callsOf(faulty)).toEqual([
      { round1: 2, round2: 2, cancel: 1 },
      { round1: 1, round2: 1, cancel: 1 },
      { round1: 1, round2: 1, cancel: 0 },
    ]);
    // the retry does not wait for the cancels of the failed session: here one never answers (with
    // a one-minute round timeout, waiting for it would outlast the test's timeout)
    (faulty[1] as Faulty).mode = 'ok';
    const stuck = new Faulty(participants[0] as Participant);
    stuck.mode = 'gone-in-round2';
    stuck.cancel = () => new Promise<void>(() => undefined);
    const patient = new FrostSigner({ wasm, publicPackage, participants: [stuck, ...faulty.slice(1)], roundTimeoutMs: 60_000 });
    verifiesEverywhere(await patient.sign(utf8('h')), utf8('h'), groupKey);
    (faulty[1] as Faulty).mode = 'gone-in-round2';
    // two lost: SIGNER_FAILED naming both, and no signature
    (faulty[2] as Faulty).mode = 'gone-in-round2';
    const err = await new FrostSigner({ wasm, publicPackage, participants: faulty }).sign(utf8('m')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrostSigningError);
    expect(err).toMatchObject({ code: 'SIGNER_FAILED', unavailable: [2, 3], culprits: [] });
    expect((err as Error).message).toBe('only 1 of the 2 required frost participants are available: participants 2, 3 did not answer');
  });

  it('says which participants signed, and a Session Block records them: kee audit verify shows them', async () => {
    const faulty = participants.map((p) => new Faulty(p));
    const signer = new FrostSigner({ wasm, publicPackage, participants: faulty });
    const first = await signer.signWithQuorum(utf8('q'));
    expect(first.participants).toEqual([1, 2]);
    verifiesEverywhere(first.signature, utf8('q'), groupKey);
    (faulty[0] as Faulty).mode = 'down';
    expect((await signer.signWithQuorum(utf8('r'))).participants).toEqual([2, 3]);
    // a kernel signing its blocks with this group: the block names the two signers
    const h = makeHarness({ signer });
    await h.started;
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json;
    const block = (await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json;
    expect(block.block_signature.participants).toEqual([2, 3]);
    const pkg = await h.kernel.getPackage(block.block_id);
    const result = verifyPackage(pkg, { merkle: h.merkle, verifier: ed25519Verifier });
    expect(result).toMatchObject({ ok: true, signers: [2, 3] });
    expect(packageVerdict(result)).toMatch(/^OK block .*; FROST signers 2, 3 \(as the block names them\)$/);
    const span = h.spans.getFinishedSpans().find((x) => x.name === 'soos.kia.sign' && x.spanContext().traceId === block.block_id);
    expect(span?.attributes['soos.kia.frost_participants']).toBe('2,3');
    // the list is not in the signing input; it must at least be well formed
    const bad = { ...pkg, block: { ...pkg.block, block_signature: { ...pkg.block.block_signature, participants: [3, 2] } } };
    expect(verifyPackage(bad, { merkle: h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: false, failure: { kind: 'signature' } });
    await h.kernel.shutdown();
  });

  it('refreshes shares: same group key, old shares no longer combine with new ones', async () => {
    const refreshed = refreshShares(participants);
    expect(refreshed.groupKey).toEqual(groupKey);
    expect(refreshed.transcript).toMatchObject({ event_type: 'FROST_RESHARD', kind: 'refresh', threshold: 2, group_key: transcript.group_key });
    expect(refreshed.transcript.verifying_shares).not.toEqual(transcript.verifying_shares);
    expect(refreshed.transcript.previous_verifying_shares).toEqual(transcript.verifying_shares);
    const fresh = new FrostSigner({ wasm, publicPackage: refreshed.publicPackage, participants: refreshed.participants });
    verifiesEverywhere(await fresh.sign(utf8('after refresh')), utf8('after refresh'), groupKey);
    // new participant 1 with old participant 2, under the new package: participant 2 is named
    const mixed = new FrostSigner({ wasm, publicPackage: refreshed.publicPackage, participants: [refreshed.participants[0] as Participant, participants[1] as Participant] });
    await expect(mixed.sign(utf8('m'))).rejects.toMatchObject({ code: 'SIGNER_FAILED', culprits: [2] });
    // and the other way round, under the old package
    const mixedOld = new FrostSigner({ wasm, publicPackage, participants: [refreshed.participants[0] as Participant, participants[1] as Participant] });
    await expect(mixedOld.sign(utf8('m'))).rejects.toMatchObject({ code: 'SIGNER_FAILED', culprits: [1] });
  });

  it('refuses to lower (or raise) t on refresh', () => {
    expect(() => refreshShares(participants, { t: 1 })).toThrow('refresh cannot lower the frost threshold from 2 to 1');
    expect(() => refreshShares(participants, { t: 3 })).toThrow(/raise it to 3 with a new ceremony/);
    // the WASM layer refuses on its own too
    expect((participants[0] as InProcessParticipant).handle.beginRefresh(1, 3)).toMatchObject({ type: 'failure', error: { code: 'INVALID_INPUT' } });
    expect(() => checkFrostConfig(1, 3)).toThrow();
    expect(() => checkFrostConfig(2, 2)).toThrow();
    expect(() => runDkg(wasm, { t: 3, n: 5 })).not.toThrow();
  });

  it('repairs a lost share from t helpers', async () => {
    const lost = participants[2] as InProcessParticipant;
    const before = lost.handle.exportShare();
    const { participant, transcript: t } = repairShare(wasm, participants.slice(0, 2), 3);
    expect(participant.id).toBe(3);
    expect(participant.handle.exportShare()).toEqual(before);
    expect(t).toMatchObject({ event_type: 'FROST_RESHARD', kind: 'repair', helpers: [1, 2], repaired: 3 });
    const signer = new FrostSigner({ wasm, publicPackage, participants: [participants[0] as Participant, participant] });
    verifiesEverywhere(await signer.sign(utf8('repaired')), utf8('repaired'), groupKey);
    expect(() => repairShare(wasm, participants.slice(0, 1), 3)).toThrow(/at least 2 helpers/);
  });

  it('exports and re-imports a share (the only way a share leaves WASM memory)', async () => {
    const share = (participants[0] as InProcessParticipant).handle.exportShare();
    if (share.type !== 'success') throw new Error(share.error.message);
    const again = wasm.FrostParticipant.importShare(share.value);
    if (again.type !== 'success') throw new Error(again.error.message);
    expect(again.value.identifier).toBe(1);
    expect(again.value.groupKey()).toEqual(groupKey);
    expect(wasm.FrostParticipant.importShare(share.value.slice(0, 40))).toMatchObject({ type: 'failure', error: { code: 'INVALID_INPUT' } });
    again.value.free();
  });
});

describe('trusted dealer (development)', () => {
  it('deals 3-of-5 and signs with three participants', async () => {
    const { participants, publicPackage, groupKey, transcript } = trustedDealerKeygen(wasm, { t: 3, n: 5 });
    expect(transcript).toMatchObject({ mode: 'trusted_dealer', threshold: 3, participants: [1, 2, 3, 4, 5], deployment_constraint: 'frost:t-of-n:3-5' });
    const signer = new FrostSigner({ wasm, publicPackage, participants });
    verifiesEverywhere(await signer.sign(utf8('3 of 5')), utf8('3 of 5'), groupKey);
  });
});

describe('cross-check with @noble/curves FROST (RFC 9591, pure JS)', () => {
  it('noble-dealt shares sign through Kee participants and Kee aggregation', async () => {
    const deal = noble.trustedDealer({ min: 2, max: 3 }, [1, 2, 3].map((i) => noble.Identifier.fromNumber(i)));
    const publicPackage = keePublicFromNoble(deal.public, 3);
    const handles = [1, 2, 3].map((id) => {
      const r = wasm.FrostParticipant.importShare(keeShareFromNoble(deal.secretShares[noble.Identifier.fromNumber(id)] as NobleSecret, id, publicPackage));
      if (r.type !== 'success') throw new Error(r.error.message);
      return new InProcessParticipant(r.value);
    });
    const groupKey = deal.public.commitments[0] as Uint8Array;
    const signer = new FrostSigner({ wasm, publicPackage, participants: handles });
    verifiesEverywhere(await signer.sign(utf8('noble dealt')), utf8('noble dealt'), groupKey);
    // one noble participant and one WASM participant in the same signature
    const mixed = new FrostSigner({
      wasm,
      publicPackage,
      participants: [new NobleParticipant(1, deal.secretShares[noble.Identifier.fromNumber(1)] as NobleSecret, deal.public), handles[2] as Participant],
    });
    verifiesEverywhere(await mixed.sign(utf8('mixed')), utf8('mixed'), groupKey);
  });

  it('Kee DKG shares sign with noble, and noble aggregates WASM signature shares', async () => {
    const { participants, groupKey } = runDkg(wasm);
    const exported = participants.map((p) => {
      const s = p.handle.exportShare();
      if (s.type !== 'success') throw new Error(s.error.message);
      return nobleFromKeeShare(s.value);
    });
    const [a, b] = exported as [ReturnType<typeof nobleFromKeeShare>, ReturnType<typeof nobleFromKeeShare>];
    // noble alone, with Kee's shares
    const na = noble.commit(a.secret);
    const nb = noble.commit(b.secret);
    const list = [na.commitments, nb.commitments];
    const msg = utf8('kee shares, noble rounds');
    const shares = {
      [a.secret.identifier]: noble.signShare(a.secret, a.pub, na.nonces, list, msg),
      [b.secret.identifier]: noble.signShare(b.secret, b.pub, nb.nonces, list, msg),
    };
    verifiesEverywhere(noble.aggregate(a.pub, list, msg, shares), msg, groupKey);
    // WASM rounds, noble aggregation
    const sid = utf8('s');
    const [p1, p3] = [participants[0], participants[2]] as [InProcessParticipant, InProcessParticipant];
    const c = new Uint8Array([...(await p1.round1(sid)), ...(await p3.round1(sid))]);
    const req = { sessionId: sid, message: msg, ids: [1, 3], commitments: c };
    const s1 = await p1.round2(req);
    const s3 = await p3.round2(req);
    const sig = noble.aggregate(a.pub, nobleCommitments([1, 3], c), msg, { [noble.Identifier.fromNumber(1)]: s1, [noble.Identifier.fromNumber(3)]: s3 });
    verifiesEverywhere(sig, msg, groupKey);
    expect(noble.verifyShare(a.pub, nobleCommitments([1, 3], c), msg, noble.Identifier.fromNumber(3), s3)).toBe(true);
  });
});
