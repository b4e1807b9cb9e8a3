/**
 * FROST ceremonies among sidecars, in one process but over each sidecar's HTTP app
 * (`createSidecarHost` answering `app.fetch`): DKG, refresh and repair driven by the coordinator
 * (`runSidecarDkg`, `runSidecarRepair`), which only relays. Negative cases: unsigned ceremony
 * requests, a swapped identity key, a tampered sealed package, a re-key attempt. The real
 * processes (`kee signer serve` / `kee signer keygen --sidecars`) are in sidecar-ceremony.test.ts.
 */
import { createPublicKey, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it, vi } from 'vitest';
import { CeremonyClient, runSidecarDkg, runSidecarRepair } from '../src/adapters/frost/ceremony-coordinator.ts';
import { CEREMONY_TTL_MS, CeremonyParticipant } from '../src/adapters/frost/ceremony-participant.ts';
import { openPackage, sealPackage } from '../src/adapters/frost/ceremony-crypto.ts';
import { CoordinatorVerifier } from '../src/adapters/frost/coordinator-auth.ts';
import { FrostSigner } from '../src/adapters/frost/frost-signer.ts';
import { HttpParticipant, type Transport } from '../src/adapters/frost/http-participant.ts';
import { parsePublicPackage } from '../src/adapters/frost/public-package.ts';
import { createSidecarHost, type SidecarHost } from '../src/http/sidecar-ceremony-routes.ts';
import { DomainError } from '../src/kernel/errors.ts';
import { toHex } from '../src/kernel/hex.ts';
import { loadKeeWasm } from './support/wasm.ts';

const wasm = loadKeeWasm();
const coordinatorKey = ed25519.utils.randomSecretKey();
const coordinatorPub = ed25519.getPublicKey(coordinatorKey);
const utf8 = (s: string) => new TextEncoder().encode(s);

type Node = { id: number; seed: Uint8Array; host: SidecarHost; ceremony: CeremonyParticipant; installs: number; transport: Transport; failStore?: boolean };

function sidecar(id: number, peers: () => Map<number, Uint8Array> | null, seed = ed25519.utils.randomSecretKey()): Node {
  const node = { id, seed, installs: 0 } as Node;
  node.ceremony = new CeremonyParticipant({
    id,
    wasm,
    identitySeed: seed,
    peers: async () => peers(),
    current: () => node.host.current(),
    install: async (h) => {
      if (node.failStore) throw new DomainError('UNAVAILABLE', 'disk full');
      node.installs++;
      node.host.install(h);
    },
  });
  node.host = createSidecarHost({ id, auth: new CoordinatorVerifier(coordinatorPub, id), participant: null, ceremony: node.ceremony });
  node.transport = async (r) => node.host.app.fetch(r);
  return node;
}

function group(n = 3) {
  const peers = new Map<number, Uint8Array>();
  const nodes: Node[] = [];
  for (let id = 1; id <= n; id++) nodes.push(sidecar(id, () => peers));
  for (const s of nodes) peers.set(s.id, ed25519.getPublicKey(s.seed));
  return { peers, nodes };
}

const client = (n: Node, transport: Transport = n.transport) => new CeremonyClient({ id: n.id, baseUrl: 'http://sidecar', coordinatorKey, transport });

async function signWith(nodes: Node[], publicPackage: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const signer = new FrostSigner({ wasm, publicPackage, participants: nodes.map((n) => new HttpParticipant({ id: n.id, baseUrl: 'http://sidecar', coordinatorKey, transport: n.transport })) });
  return signer.sign(message);
}

function plainEd25519(groupKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(groupKey).toString('base64url') }, format: 'jwk' });
  return verify(null, message, key, signature);
}

describe('sealed packages', () => {
  it('open only for their recipient, ceremony, step and sender', async () => {
    const a = { s: new Uint8Array(32).fill(1) };
    const { x25519 } = await import('@noble/curves/ed25519.js');
    const sa = x25519.utils.randomSecretKey();
    const sb = x25519.utils.randomSecretKey();
    const ctx = { ceremonyId: 'ab'.repeat(16), step: 'round2', from: 1, to: 2 };
    const sealed = await sealPackage(sa, x25519.getPublicKey(sb), ctx, a.s);
    expect(await openPackage(sb, x25519.getPublicKey(sa), ctx, sealed)).toEqual(a.s);
    for (const other of [{ ...ctx, step: 'delta' }, { ...ctx, from: 3 }, { ...ctx, ceremonyId: 'cd'.repeat(16) }]) {
      await expect(openPackage(sb, x25519.getPublicKey(sa), other, sealed)).rejects.toThrow(/does not open/);
    }
    const flipped = { ...sealed, ciphertext: (sealed.ciphertext[0] === '0' ? '1' : '0') + sealed.ciphertext.slice(1) };
    await expect(openPackage(sb, x25519.getPublicKey(sa), ctx, flipped)).rejects.toThrow(/does not open/);
  });
});

describe('FROST ceremonies among sidecars (over their HTTP apps)', () => {
  it('DKG: every sidecar ends with its own share of one group key; signatures verify as plain Ed25519', async () => {
    const { nodes } = group();
    expect(await (await nodes[0]!.transport(new Request('http://sidecar/healthz'))).json()).toEqual({ status: 'awaiting_key', participant: 1 });
    const refused = await nodes[0]!.transport(new Request('http://sidecar/v1/frost/round1', { method: 'POST', body: '{}' }));
    expect(refused.status).toBe(503);
    const r = await runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n)), threshold: 2 });
    expect(r.committed).toEqual([1, 2, 3]);
    expect(r.transcript).toMatchObject({ event_type: 'FROST_CEREMONY', mode: 'dkg', threshold: 2, participants: [1, 2, 3], deployment_constraint: 'frost:t-of-n:2-3' });
    const pub = parsePublicPackage(r.publicPackage);
    for (const n of nodes) {
      expect(toHex(n.host.current()!.groupKey())).toBe(toHex(pub.groupKey));
      expect(n.installs).toBe(1);
    }
    // shares differ: each sidecar's verifying share is its own
    expect(new Set([...pub.verifyingShares.values()].map(toHex)).size).toBe(3);
    const msg = utf8('session block');
    const sig = await signWith([nodes[0]!, nodes[2]!], r.publicPackage, msg);
    expect(plainEd25519(pub.groupKey, msg, sig)).toBe(true);
    const health = (await (await nodes[1]!.transport(new Request('http://sidecar/healthz'))).json()) as { status: string; group_key: string };
    expect(health).toMatchObject({ status: 'ok', group_key: toHex(pub.groupKey) });
  });

  it('a commit that fails on one sidecar is reported; that sidecar stays without a key and can be repaired', async () => {
    const { nodes } = group();
    nodes[2]!.failStore = true;
    const r = await runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n)), threshold: 2 });
    expect(r.committed).toEqual([1, 2]);
    expect(r.uncommitted).toEqual([{ id: 3, message: 'participant 3 refused commit: UNAVAILABLE: disk full' }]);
    expect(nodes[2]!.host.current()).toBeNull();
    nodes[2]!.failStore = false;
    const repaired = await runSidecarRepair({ helpers: [client(nodes[0]!), client(nodes[1]!)], lost: client(nodes[2]!), publicPackage: r.publicPackage });
    expect(repaired.committed).toEqual([3]);
    const msg = utf8('after a failed commit');
    expect(plainEd25519(parsePublicPackage(r.publicPackage).groupKey, msg, await signWith([nodes[1]!, nodes[2]!], r.publicPackage, msg))).toBe(true);
  });

  it('a new part 1 replaces a ceremony the coordinator left open (it crashed after part 1)', async () => {
    const { nodes } = group();
    const { signedAnnouncement } = await import('../src/adapters/frost/ceremony-wire.ts');
    for (const n of nodes) await client(n).post('part1', { ceremony_id: '11'.repeat(16), kind: 'dkg', participants: [1, 2, 3], threshold: 2 }, signedAnnouncement);
    expect(nodes.map((n) => n.ceremony.openCeremony?.ceremony_id)).toEqual(['11'.repeat(16), '11'.repeat(16), '11'.repeat(16)]);
    const r = await runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n)), threshold: 2 });
    expect(r.committed).toEqual([1, 2, 3]);
    expect(nodes.map((n) => n.ceremony.openCeremony)).toEqual([null, null, null]);
  });

  it('a ceremony left open past CEREMONY_TTL_MS is dropped with its secrets', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { nodes } = group();
      await nodes[0]!.ceremony.part1({ ceremony_id: '22'.repeat(16), kind: 'dkg', participants: [1, 2, 3], threshold: 2 });
      vi.advanceTimersByTime(CEREMONY_TTL_MS - 1);
      expect(nodes[0]!.ceremony.openCeremony).not.toBeNull();
      vi.advanceTimersByTime(2);
      expect(nodes[0]!.ceremony.openCeremony).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses ceremony requests without or with a wrong coordinator signature (401)', async () => {
    const { nodes } = group();
    const body = JSON.stringify({ ceremony_id: 'ab'.repeat(16), kind: 'dkg', participants: [1, 2, 3], threshold: 2 });
    const unsigned = await nodes[0]!.transport(new Request('http://sidecar/v1/frost/ceremony/part1', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    const stranger = new CeremonyClient({ id: 1, baseUrl: 'http://sidecar', coordinatorKey: new Uint8Array(32).fill(7), transport: nodes[0]!.transport });
    await expect(runSidecarDkg({ kind: 'dkg', clients: [stranger, client(nodes[1]!), client(nodes[2]!)], threshold: 2 })).rejects.toThrow(/participant 1 refused part1: UNAUTHENTICATED/);
    expect(nodes.map((n) => n.ceremony.openCeremony)).toEqual([null, null, null]);
  });

  it('a swapped identity key is refused before anything secret is sent; the ceremony aborts everywhere', async () => {
    const { peers, nodes } = group();
    // the coordinator replaces participant 2 by an impostor with its own identity key
    const impostorSeed = ed25519.utils.randomSecretKey();
    const impostor = sidecar(2, () => new Map([...peers, [2, ed25519.getPublicKey(impostorSeed)]]), impostorSeed);
    const clients = [client(nodes[0]!), client(impostor), client(nodes[2]!)];
    await expect(runSidecarDkg({ kind: 'dkg', clients, threshold: 2 })).rejects.toThrow(/participant [13] refused part2: INVALID_INPUT: the announcement of participant 2 carries identity key [0-9a-f]{64}, not the one in the peers file: refused \(a swapped key\)/);
    for (const n of [...nodes, impostor]) {
      expect(n.ceremony.openCeremony).toBeNull();
      expect(n.host.current()).toBeNull();
    }
  });

  it('an announcement relayed with a swapped exchange key is refused (its signature no longer verifies)', async () => {
    const { nodes } = group();
    const swap: (n: Node) => Transport = (n) => async (req) => {
      if (!req.url.endsWith('/part2')) return n.transport(req);
      const body = (await req.json()) as { announcements: { announcement: { participant: number; exchange_key: string } }[] };
      const a = body.announcements.find((x) => x.announcement.participant === 3)!;
      a.announcement.exchange_key = toHex(ed25519.utils.randomSecretKey()); // the coordinator's own key
      return client(n).post('part2', body, (await import('zod')).z.any()).then((v) => Response.json(v), (e: Error) => Response.json({ code: 'INVALID_INPUT', detail: e.message }, { status: 400 }));
    };
    // the part2 calls run at once and the first refusal is reported: participants 1 and 2 find the
    // signature broken, participant 3 finds its own announcement changed (either may answer first)
    await expect(runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n, swap(n))), threshold: 2 })).rejects.toThrow(
      /participant [12] refused part2: .*announcement of participant 3 is not signed by its identity key|participant 3 refused part2: .*the announcement relayed as this participant's \(participant 3\) is not the one it made/,
    );
    expect(nodes.map((n) => n.host.current())).toEqual([null, null, null]);
    expect(nodes.map((n) => n.ceremony.openCeremony)).toEqual([null, null, null]);
  });

  it('a tampered round-2 package is refused and nothing is stored anywhere', async () => {
    const { nodes } = group();
    const tamper: (n: Node) => Transport = (n) => async (req) => {
      if (!req.url.endsWith('/part3') || n.id !== 2) return n.transport(req);
      const body = (await req.json()) as { packages: { ciphertext: string }[] };
      const p = body.packages[0]!;
      p.ciphertext = (p.ciphertext[0] === '0' ? '1' : '0') + p.ciphertext.slice(1);
      return client(n).post('part3', body, (await import('zod')).z.any()).then((v) => Response.json(v), (e: Error) => Response.json({ code: 'INVALID_INPUT', detail: e.message }, { status: 400 }));
    };
    await expect(runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n, tamper(n))), threshold: 2 })).rejects.toThrow(/round2 package from participant 1 to 2 does not open/);
    expect(nodes.map((n) => n.installs)).toEqual([0, 0, 0]);
    expect(nodes.map((n) => n.ceremony.openCeremony)).toEqual([null, null, null]);
  });

  it('refresh keeps the group key with new shares; a second DKG is refused (no silent re-key); repair restores a lost share', async () => {
    const { peers, nodes } = group();
    const first = await runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n)), threshold: 2 });
    await expect(runSidecarDkg({ kind: 'dkg', clients: nodes.map((n) => client(n)), threshold: 2 })).rejects.toThrow(/CONFLICT: participant \d already holds a share/);
    await expect(runSidecarDkg({ kind: 'refresh', clients: nodes.map((n) => client(n)), threshold: 1, current: first.publicPackage })).rejects.toThrow();
    await expect(runSidecarDkg({ kind: 'refresh', clients: nodes.map((n) => client(n)), threshold: 3, current: first.publicPackage })).rejects.toThrow(/keeps the frost threshold at 2: raise it with a new ceremony/);

    const refreshed = await runSidecarDkg({ kind: 'refresh', clients: nodes.map((n) => client(n)), threshold: 2, current: first.publicPackage });
    expect(refreshed.transcript).toMatchObject({ event_type: 'FROST_RESHARD', kind: 'refresh' });
    const before = parsePublicPackage(first.publicPackage);
    const after = parsePublicPackage(refreshed.publicPackage);
    expect(toHex(after.groupKey)).toBe(toHex(before.groupKey));
    for (const id of [1, 2, 3]) expect(toHex(after.verifyingShares.get(id)!)).not.toBe(toHex(before.verifyingShares.get(id)!));
    const msg = utf8('after refresh');
    expect(plainEd25519(after.groupKey, msg, await signWith([nodes[0]!, nodes[1]!], refreshed.publicPackage, msg))).toBe(true);

    // participant 2 loses everything (new process, new identity key the operator puts in the peers file)
    const reborn = sidecar(2, () => peers);
    peers.set(2, ed25519.getPublicKey(reborn.seed));
    const repaired = await runSidecarRepair({ helpers: [client(nodes[0]!), client(nodes[2]!)], lost: client(reborn), publicPackage: refreshed.publicPackage });
    expect(repaired.committed).toEqual([2]);
    expect(repaired.transcript).toMatchObject({ event_type: 'FROST_RESHARD', kind: 'repair', helpers: [1, 3], repaired: 2 });
    expect(toHex(reborn.host.current()!.publicPackage())).toBe(toHex(refreshed.publicPackage));
    const m2 = utf8('after repair');
    expect(plainEd25519(after.groupKey, m2, await signWith([reborn, nodes[2]!], refreshed.publicPackage, m2))).toBe(true);
    // a participant holding a key refuses to be "repaired"
    await expect(runSidecarRepair({ helpers: [client(nodes[0]!), client(nodes[2]!)], lost: client(reborn), publicPackage: refreshed.publicPackage })).rejects.toThrow(/participant 2 refused part1: CONFLICT/);
  });
});
