/**
 * Key ceremonies among real sidecar processes: three `kee signer serve --ceremony` processes
 * start without shares (two on loopback TCP, one on a Unix socket), `kee signer keygen
 * --sidecars …` runs the DKG through them, each share file exists only in its own sidecar's
 * directory, and a kernel started with KEE_FROST_PARTICIPANTS signs Session Blocks that verify
 * as plain Ed25519 under the group key (node:crypto), with FROST_CEREMONY (mode dkg) journalled.
 * Then refresh (same group key, new shares, FROST_RESHARD) and repair (a sidecar that lost its
 * share restored inside its own process). Negative: unsigned or wrongly signed ceremony requests
 * (401), an impostor sidecar whose identity key is not in the peers file (refused, nothing
 * written), a DKG against sidecars that already hold a key (no silent re-key).
 */
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeremonyClient, runSidecarDkg } from '../src/adapters/frost/ceremony-coordinator.ts';
import type { Transport } from '../src/adapters/frost/http-participant.ts';
import { unixTransport } from '../src/entry/unix-transport.ts';
import { canonicalJson } from '../src/kernel/jcs.ts';
import { freePort } from './support/free-port.ts';
import { startServer, type RunningServer } from './runtime/servers.ts';
import { kee, startSidecar, type Sidecar } from './support/sidecars.ts';
import { journalEvents } from './support/journal.ts';

const env = { KEE_SHARE_KEK: 'c3'.repeat(32) };
const root = mkdtempSync(join(tmpdir(), 'kee-ceremony-'));
const dataDir = join(root, 'kernel');
const frost = join(dataDir, 'frost');
const sideDir = (i: number) => join(root, `sidecar-${i}`);
const shareOf = (i: number) => join(sideDir(i), 'share.json');
const socket = join(root, 'p3.sock');

type Block = { block_id: string; merkle_root: string; block_close_timestamp: string; block_signature: { public_key: string; signature: string } };

function verifiesUnderGroupKey(block: Block, groupKey: string): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(groupKey, 'hex').toString('base64url') }, format: 'jwk' });
  const input = canonicalJson({ block_id: block.block_id, merkle_root: block.merkle_root, block_close_timestamp: block.block_close_timestamp });
  return block.block_signature.public_key === groupKey && verify(null, Buffer.from(input), key, Buffer.from(block.block_signature.signature, 'hex'));
}


describe('FROST key ceremonies among sidecar processes', () => {
  const ports: number[] = [];
  const sidecars: (Sidecar | null)[] = [null, null, null];
  let coordinatorPub = '';
  let list = '';
  let kernel: RunningServer | null = null;
  let groupKey = '';
  const serve = (i: number) => startSidecar(['--share', shareOf(i), '--ceremony', '--peers', join(root, 'peers.json'), ...(i === 3 ? ['--socket', socket] : ['--port', String(ports[i - 1])]), '--coordinator-key', coordinatorPub], env);

  async function startKernel(): Promise<RunningServer> {
    return startServer('node', { dataDir, env: { KEE_FROST_PARTICIPANTS: list, KEE_SIGNER_HEALTH_MS: '0' } });
  }
  async function signedBlock(k: RunningServer): Promise<Block> {
    const s = (await (await fetch(`${k.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: 'ceremony-test' }) })).json()) as { session_id: string };
    const r = await fetch(`${k.base}/v1/sessions/${s.session_id}/close`, { method: 'POST' });
    expect(r.status).toBe(200);
    return (await r.json()) as Block;
  }

  beforeAll(async () => {
    const c = kee(['signer', 'coordinator-key', '--data-dir', dataDir]);
    expect(c.code, c.stderr).toBe(0);
    coordinatorPub = c.stdout.trim();
    const peers: Record<string, string> = {};
    for (const i of [1, 2, 3]) {
      mkdirSync(sideDir(i), { recursive: true });
      const r = kee(['signer', 'identity', '--share', shareOf(i)]);
      expect(r.code, r.stderr).toBe(0);
      peers[String(i)] = r.stdout.trim();
    }
    writeFileSync(join(root, 'peers.json'), JSON.stringify(peers));
    ports.push(await freePort(), await freePort());
    list = `1=http://127.0.0.1:${ports[0]},2=http://127.0.0.1:${ports[1]},3=unix:${socket}`;
    for (const i of [1, 2, 3]) sidecars[i - 1] = await serve(i);
  }, 120_000);

  afterAll(async () => {
    await kernel?.stop();
    for (const s of sidecars) await s?.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('a key-less sidecar says it awaits a key, refuses to sign, and refuses unsigned ceremony requests (401)', async () => {
    const base = `http://127.0.0.1:${ports[0]}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'awaiting_key', participant: 1 });
    const sign = await fetch(`${base}/v1/frost/round1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"session_id":"01"}' });
    expect(sign.status).toBe(503);
    const part1 = await fetch(`${base}/v1/frost/ceremony/part1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ceremony_id: 'ab'.repeat(16), kind: 'dkg', participants: [1, 2, 3], threshold: 2 }) });
    expect(part1.status).toBe(401);
    expect(((await part1.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
  }, 120_000);

  it('serve without a share needs --ceremony, and --ceremony needs --peers unless the development switch is given', () => {
    const share = join(root, 'nowhere', 'share.json');
    const plain = kee(['signer', 'serve', '--share', share, '--port', '0', '--coordinator-key', coordinatorPub], env);
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim()).toBe(`kee: no share file \`${share}\` (--ceremony serves without one, awaiting a key ceremony)`);
    const noPeers = kee(['signer', 'serve', '--share', share, '--ceremony', '--participant', '1', '--port', '0', '--coordinator-key', coordinatorPub], env);
    expect(noPeers.code).toBe(2);
    expect(noPeers.stderr).toContain('kee: --ceremony needs exactly one of --peers <file> and --dev-trust-coordinator (development only)');
    const noId = kee(['signer', 'serve', '--share', share, '--ceremony', '--dev-trust-coordinator', '--port', '0', '--coordinator-key', coordinatorPub], env);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('needs --participant <id>');
    const badPeers = join(root, 'bad-peers.json');
    writeFileSync(badPeers, '{"1":"zz"}');
    const bad = kee(['signer', 'serve', '--share', share, '--ceremony', '--peers', badPeers, '--port', '0', '--coordinator-key', coordinatorPub], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`kee: the peers file \`${badPeers}\`: entry \`1\` must map a participant id (1 to 255) to 64 hex characters`);
    expect(existsSync(share)).toBe(false);
  }, 120_000);

  it('a coordinator with another key is refused (401) and nothing is written', () => {
    const other = join(root, 'other-kernel');
    const r = kee(['signer', 'keygen', '--sidecars', list, '--data-dir', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/participant \d refused part1: UNAUTHENTICATED/);
    expect(existsSync(join(other, 'frost', 'public.json'))).toBe(false);
    for (const i of [1, 2, 3]) expect(existsSync(shareOf(i))).toBe(false);
  }, 120_000);

  it('an impostor sidecar (identity key not in the peers file) is refused and the ceremony aborts with nothing written', async () => {
    const port = await freePort();
    const impostor = await startSidecar(['--share', join(root, 'impostor', 'share.json'), '--ceremony', '--participant', '2', '--dev-trust-coordinator', '--port', String(port), '--coordinator-key', coordinatorPub], env);
    try {
      const r = kee(['signer', 'keygen', '--sidecars', `1=http://127.0.0.1:${ports[0]},2=http://127.0.0.1:${port},3=unix:${socket}`, '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/refused part2: INVALID_INPUT: the announcement of participant 2 carries identity key [0-9a-f]{64}, not the one in the peers file/);
      expect(existsSync(join(frost, 'public.json'))).toBe(false);
      for (const i of [1, 2, 3]) expect(existsSync(shareOf(i))).toBe(false);
      expect(existsSync(join(root, 'impostor', 'share.json'))).toBe(false);
    } finally {
      await impostor.kill();
    }
  }, 120_000);

  it('a tampered round-2 package relayed to the sidecar processes is refused; the ceremony aborts with nothing written', async () => {
    const coordinatorKey = Buffer.from(readFileSync(join(frost, 'coordinator-ed25519.key'), 'utf8').trim(), 'hex');
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    // the relay alters the first round-2 package addressed to participant 1, then signs the request as usual
    const clients = [1, 2, 3].map((id) => {
      const base = id === 3 ? 'http://localhost' : `http://127.0.0.1:${ports[id - 1]}`;
      const send: Transport = id === 3 ? unixTransport(socket) : (r) => fetch(r);
      return new CeremonyClient({ id, baseUrl: base, coordinatorKey, transport: send });
    });
    const first = clients[0]!;
    const post = first.post.bind(first);
    first.post = (step, value, schema) => {
      if (step !== 'part3') return post(step, value, schema);
      const v = value as { packages: { ciphertext: string }[] };
      v.packages[0]!.ciphertext = flip(v.packages[0]!.ciphertext);
      return post(step, v, schema);
    };
    await expect(runSidecarDkg({ kind: 'dkg', clients, threshold: 2 })).rejects.toThrow(/participant 1 refused part3: INVALID_INPUT: the round2 package from participant 2 to 1 does not open/);
    for (const i of [1, 2, 3]) {
      expect(existsSync(shareOf(i))).toBe(false);
      const health = i === 3 ? await unixTransport(socket)(new Request('http://localhost/healthz')) : await fetch(`http://127.0.0.1:${ports[i - 1]}/healthz`);
      expect(await health.json()).toEqual({ status: 'awaiting_key', participant: i });
    }
    expect(existsSync(join(frost, 'public.json'))).toBe(false);
  }, 120_000);

  it('keygen --sidecars: a DKG where each share exists only in its own sidecar; the kernel signs under the group key', async () => {
    const r = kee(['signer', 'keygen', '--sidecars', list, '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const pub = JSON.parse(readFileSync(join(frost, 'public.json'), 'utf8'));
    groupKey = pub.group_key;
    expect(pub).toMatchObject({ threshold: 2, participants: [1, 2, 3] });
    for (const i of [1, 2, 3]) {
      expect(statSync(shareOf(i)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(shareOf(i), 'utf8'))).toMatchObject({ format: 'kee-frost-share/1', participant: i, group_key: groupKey });
      expect(readdirSync(sideDir(i)).filter((f) => f.startsWith('share')).sort()).toEqual(['share.identity-ed25519.key', 'share.json']);
    }
    expect(readdirSync(frost).filter((f) => f.startsWith('share'))).toEqual([]);
    // the sidecars serve their new shares without a restart
    expect(await (await fetch(`http://127.0.0.1:${ports[1]}/healthz`)).json()).toMatchObject({ status: 'ok', participant: 2, group_key: groupKey });

    kernel = await startKernel();
    expect(((await (await fetch(`${kernel.base}/v1/kernel/public-key`)).json()) as { public_key: string }).public_key).toBe(groupKey);
    expect(verifiesUnderGroupKey(await signedBlock(kernel), groupKey)).toBe(true);
    const events = (await journalEvents(dataDir)).filter((e) => e.event_type === 'FROST_CEREMONY');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ mode: 'dkg', threshold: 2, participants: [1, 2, 3], group_key: groupKey, deployment_constraint: 'frost:t-of-n:2-3' });
    expect(Object.keys(events[0]!.participant_identity_keys as object)).toEqual(['1', '2', '3']);
  }, 120_000);

  it('a second DKG against sidecars holding a key is refused (no silent re-key)', () => {
    const r = kee(['signer', 'keygen', '--sidecars', list, '--data-dir', dataDir, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused part1: CONFLICT: participant \d already holds a share/);
    expect(JSON.parse(readFileSync(join(frost, 'public.json'), 'utf8')).group_key).toBe(groupKey);
  }, 120_000);

  it('refresh --sidecars: same group key, new shares, signing still works, FROST_RESHARD journalled', async () => {
    await kernel?.stop();
    const before = JSON.parse(readFileSync(join(frost, 'public.json'), 'utf8'));
    const sealed = [1, 2, 3].map((i) => readFileSync(shareOf(i), 'utf8'));
    const lower = kee(['signer', 'refresh', '--sidecars', list, '--data-dir', dataDir, '--threshold', '1']);
    expect(lower.code).toBe(1);
    expect(lower.stderr).toContain('lowering t below the key');
    const r = kee(['signer', 'refresh', '--sidecars', list, '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(frost, 'public.json'), 'utf8'));
    expect(after.group_key).toBe(groupKey);
    expect(after.public_package).not.toBe(before.public_package);
    [1, 2, 3].forEach((i, k) => expect(readFileSync(shareOf(i), 'utf8')).not.toBe(sealed[k]));
    kernel = await startKernel();
    expect(verifiesUnderGroupKey(await signedBlock(kernel), groupKey)).toBe(true);
    expect((await journalEvents(dataDir)).filter((e) => e.event_type === 'FROST_RESHARD').map((e) => e.kind)).toEqual(['refresh']);
  }, 120_000);

  it('repair --sidecars: a sidecar that lost its share gets it back inside its own process and signs again', async () => {
    await kernel?.stop();
    await sidecars[1]!.kill();
    rmSync(shareOf(2));
    sidecars[1] = await serve(2);
    expect(await (await fetch(`http://127.0.0.1:${ports[1]}/healthz`)).json()).toEqual({ status: 'awaiting_key', participant: 2 });
    const r = kee(['signer', 'repair', '2', '--sidecars', list, '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(shareOf(2)).mode & 0o777).toBe(0o600);
    expect(await (await fetch(`http://127.0.0.1:${ports[1]}/healthz`)).json()).toMatchObject({ status: 'ok', participant: 2, group_key: groupKey });
    // sign with 2 and 3 only
    await sidecars[0]!.kill();
    kernel = await startKernel();
    expect(verifiesUnderGroupKey(await signedBlock(kernel), groupKey)).toBe(true);
    expect((await journalEvents(dataDir)).filter((e) => e.event_type === 'FROST_RESHARD').map((e) => e.kind)).toEqual(['refresh', 'repair']);
  }, 120_000);
});
