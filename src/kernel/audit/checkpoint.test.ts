import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { JsMerkle } from '../../adapters/memory/js-merkle.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { fromHex } from '../hex.ts';

/** Parses a C2SP signed note and verifies its Ed25519 signature by key name and key ID. */
function verifyNote(note: string, keyName: string, publicKey: Uint8Array) {
  const sep = note.lastIndexOf('\n\n');
  const text = note.slice(0, sep + 1);
  const lines = note.slice(sep + 2).trim().split('\n');
  const js = new JsMerkle();
  const name = new TextEncoder().encode(keyName);
  const keyId = js.sha256(Uint8Array.from([...name, 0x0a, 0x01, ...publicKey])).slice(0, 4);
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== keyName) continue;
    const raw = Uint8Array.from(atob(m[2]!), (c) => c.charCodeAt(0));
    if (raw.slice(0, 4).join() !== keyId.join()) continue;
    return { text, valid: ed25519.verify(raw.slice(4), new TextEncoder().encode(text), publicKey) };
  }
  return { text, valid: false };
}

describe('block log checkpoints and consistency proofs', () => {
  it('serves a C2SP signed checkpoint that any Ed25519 library verifies, and proves consistency between sizes', async () => {
    const h = makeHarness();
    const pub = fromHex(h.kernel.publicKey().public_key)!;
    const origin = `kee.local/${h.kernel.kernelId}`;
    const empty = await h.call('GET', '/v1/audit/checkpoint');
    expect(empty.headers.get('content-type')).toContain('text/plain');
    expect(empty.text.startsWith(`${origin}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 ${origin} `)).toBe(true);
    expect(verifyNote(empty.text, origin, pub).valid).toBe(true);

    const roots: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `a${i}` });
      await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
      await h.call('POST', `/v1/sessions/${s.session_id}/close`);
      const cp = await h.call('GET', '/v1/audit/checkpoint', undefined, { accept: 'application/json' });
      expect(cp.json.size).toBe(i + 1);
      const { text, valid } = verifyNote(cp.json.note, origin, pub);
      expect(valid).toBe(true);
      expect(text).toBe(`${origin}\n${i + 1}\n${cp.json.root}\n`);
      roots.push(cp.json.root);
      expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).json.log_index).toBe(i);
    }
    const js = new JsMerkle();
    const b64 = (r: string) => Uint8Array.from(atob(r), (c) => c.charCodeAt(0));
    for (const [from, to] of [[1, 5], [2, 5], [3, 4], [4, 4], [0, 5]] as const) {
      const r = await h.call('GET', `/v1/audit/proofs/consistency?from=${from}&to=${to}`);
      expect(r.status).toBe(200);
      const proof = (r.json.proof as string[]).map((p) => fromHex(p)!);
      const oldRoot = from === 0 ? js.sha256(new Uint8Array(0)) : b64(roots[from - 1]!);
      expect(r.json.from_root).toBe(Buffer.from(oldRoot).toString('hex'));
      expect(js.verifyConsistency(from, to, proof, oldRoot, b64(roots[to - 1]!))).toBe(true);
      if (proof.length > 0) {
        proof[0]![0]! ^= 1;
        expect(js.verifyConsistency(from, to, proof, oldRoot, b64(roots[to - 1]!))).toBe(false);
      }
    }
    for (const q of ['from=3&to=2', 'from=0&to=6', 'from=-1&to=2', 'from=a&to=2', 'to=2']) {
      const bad = await h.call('GET', `/v1/audit/proofs/consistency?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.json.code).toBe('INVALID_INPUT');
    }
  });
});
