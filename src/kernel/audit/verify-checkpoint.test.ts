import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { JsMerkle } from '../../adapters/memory/js-merkle.ts';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import rfc from '../../../test/vectors/rfc9162-merkle.json' with { type: 'json' };
import { fromHex, toHex } from '../hex.ts';
import { checkpointBody, noteKeyId, signedNote } from './checkpoint.ts';
import { openSignedNote, verifyCheckpoint, type CheckpointCheck } from './verify-checkpoint.ts';

const merkle = new JsMerkle();
const deps = { merkle, verifier: ed25519Verifier };
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** A log of `n` closed blocks; the checkpoint, consistency and inclusion answers as the server gives them. */
async function kernelLog(n: number) {
  const h = makeHarness();
  const closed: any[] = [];
  const notes: string[] = [];
  for (let i = 0; i < n; i++) {
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `a${i}` });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    closed.push((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json);
    notes.push((await h.call('GET', '/v1/audit/checkpoint')).text);
  }
  const publicKey = fromHex(h.kernel.publicKey().public_key)!;
  const consistency = async (from: number, to: number) => (await h.call('GET', `/v1/audit/proofs/consistency?from=${from}&to=${to}`)).json;
  const inclusion = async (index: number, size: number) => (await h.call('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${size}`)).json;
  const entry = async (index: number) => (await h.call('GET', `/v1/audit/log/entries/${index}`)).json;
  return { h, closed, notes, publicKey, origin: `kee.local/${h.kernel.kernelId}`, consistency, inclusion, entry };
}

/** `text` with byte `i` of its UTF-8 form xor 1. */
function flipByte(text: string, i: number): string {
  const bytes = new TextEncoder().encode(text);
  bytes[i]! ^= 1;
  return new TextDecoder().decode(bytes);
}

/** `hex` with its digit `i` changed. */
const flipHex = (hex: string, i: number) => hex.slice(0, i) + (hex[i] === '0' ? '1' : '0') + hex.slice(i + 1);

describe('signed notes: the published golang.org/x/mod/sumdb/note vector', () => {
  // sumdb/note note_test.go TestOpen: two signatures over one text, by PeterNeumann and EnochRoot
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const peterSig = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
  const enochSig = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
  // verifier keys `<name>+<key ID>+base64(0x01 || Ed25519 public key)`
  const peter = { name: 'PeterNeumann', id: 'c74f20a3', key: b64('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').slice(1) };
  const enoch = { name: 'EnochRoot', id: 'af0cfe78', key: b64('ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop').slice(1) };

  it('derives the published key IDs and verifies each key\'s signature, ignoring the other\'s line', () => {
    expect(toHex(noteKeyId(merkle, peter.name, peter.key))).toBe(peter.id);
    expect(toHex(noteKeyId(merkle, enoch.name, enoch.key))).toBe(enoch.id);
    const note = `${text}\n${peterSig}${enochSig}`;
    for (const k of [peter, enoch]) expect(openSignedNote(note, k.name, k.key, deps)).toEqual({ ok: true, text });
    expect(openSignedNote(`${text}\n${enochSig}`, peter.name, peter.key, deps)).toMatchObject({ ok: false, message: expect.stringContaining('no signature by key `PeterNeumann` with key ID c74f20a3') });
    expect(openSignedNote(`${text.replace('answer', 'Answer')}\n${peterSig}`, peter.name, peter.key, deps)).toMatchObject({ ok: false, message: expect.stringContaining('does not verify') });
    expect(openSignedNote(`${text}\n${peterSig}${peterSig}`, peter.name, peter.key, deps)).toMatchObject({ ok: false, message: expect.stringContaining('more than once') });
  });
});

describe('verifyCheckpoint', () => {
  it('verifies the kernel\'s checkpoints, consistency from every older checkpoint, and the inclusion of every block', async () => {
    const log = await kernelLog(6);
    for (let to = 1; to <= 6; to++) {
      for (let from = 1; from <= to; from++) {
        const check: CheckpointCheck = { note: log.notes[to - 1]!, previous: { note: log.notes[from - 1]!, proof: await log.consistency(from, to) } };
        expect(verifyCheckpoint(check, deps, { publicKey: log.publicKey, origin: log.origin })).toMatchObject({ ok: true, size: to, consistency: { from, to } });
      }
      for (let i = 0; i < to; i++) {
        const { log_index, ...block } = log.closed[i];
        for (const leaf of [{ block, index: log_index }, await log.entry(i)]) {
          const r = verifyCheckpoint({ note: log.notes[to - 1]!, inclusion: { proof: await log.inclusion(i, to), leaf } }, deps, { publicKey: log.publicKey });
          expect(r).toEqual({ ok: true, origin: log.origin, size: to, root: (await log.inclusion(i, to)).root, inclusion: { leaf_index: i, block_id: block.block_id } });
        }
      }
    }
  });

  it('verifies the RFC 9162 / CT consistency vectors between checkpoints signed over the published roots', () => {
    const seed = new Uint8Array(32).fill(7);
    const publicKey = ed25519.getPublicKey(seed);
    const keyId = noteKeyId(merkle, 'vectors.example/log', publicKey);
    const note = (size: number) => {
      const body = checkpointBody('vectors.example/log', size, fromHex(rfc.roots.by_size[size]!)!);
      return signedNote(body, 'vectors.example/log', keyId, ed25519.sign(new TextEncoder().encode(body), seed));
    };
    for (const v of rfc.consistency) {
      const proof = { from: v.old_size, to: v.new_size, proof: v.proof };
      const check = { note: note(v.new_size), previous: { note: note(v.old_size), proof } };
      expect(verifyCheckpoint(check, deps, { publicKey }), `${v.old_size}->${v.new_size}`).toMatchObject({ ok: true });
      if (v.proof.length > 0) {
        const bad = { ...proof, proof: v.proof.map((h, i) => (i === v.proof.length - 1 ? flipHex(h, 5) : h)) };
        expect(verifyCheckpoint({ ...check, previous: { ...check.previous, proof: bad } }, deps, { publicKey })).toMatchObject({ ok: false, failure: { kind: 'consistency' } });
      }
    }
  });

  it('fails naming the checkpoint for every single-byte change of the note, a wrong key or a wrong origin', async () => {
    const log = await kernelLog(2);
    const note = log.notes[1]!;
    expect(verifyCheckpoint({ note }, deps, { publicKey: log.publicKey })).toMatchObject({ ok: true });
    for (let i = 0; i < new TextEncoder().encode(note).length; i++) {
      const r = verifyCheckpoint({ note: flipByte(note, i) }, deps, { publicKey: log.publicKey });
      expect(r.ok, `byte ${i}`).toBe(false);
      if (!r.ok) expect(r.failure.kind).toBe('checkpoint');
    }
    const other = ed25519.getPublicKey(new Uint8Array(32).fill(1));
    expect(verifyCheckpoint({ note }, deps, { publicKey: other })).toMatchObject({ ok: false, failure: { kind: 'checkpoint', message: expect.stringContaining('no signature by key') } });
    expect(verifyCheckpoint({ note }, deps, { publicKey: log.publicKey, origin: 'kee.local/other' })).toMatchObject({ ok: false, failure: { kind: 'checkpoint', message: expect.stringContaining('expected `kee.local/other`') } });
    // every single-byte change of the older checkpoint is named as the previous one
    const proof = await log.consistency(1, 2);
    for (let i = 0; i < new TextEncoder().encode(log.notes[0]!).length; i++) {
      const r = verifyCheckpoint({ note, previous: { note: flipByte(log.notes[0]!, i), proof } }, deps, { publicKey: log.publicKey });
      expect(r.ok ? 'ok' : r.failure.kind, `byte ${i}`).toBe('previous');
    }
  });

  it('fails naming the consistency proof for a changed hash, a missing hash, or sizes and roots that are not the checkpoints\'', async () => {
    const log = await kernelLog(5);
    const proof = await log.consistency(3, 5);
    const run = (p: typeof proof, older = log.notes[2]!) => verifyCheckpoint({ note: log.notes[4]!, previous: { note: older, proof: p } }, deps, { publicKey: log.publicKey });
    expect(run(proof)).toMatchObject({ ok: true, consistency: { from: 3, to: 5 } });
    for (let j = 0; j < proof.proof.length; j++) {
      for (const at of [0, 31, 63]) {
        expect(run({ ...proof, proof: proof.proof.map((h: string, k: number) => (k === j ? flipHex(h, at) : h)) })).toMatchObject({ ok: false, failure: { kind: 'consistency', message: expect.stringContaining('is a prefix of') } });
      }
    }
    expect(run({ ...proof, proof: proof.proof.slice(1) })).toMatchObject({ ok: false, failure: { kind: 'consistency' } });
    expect(run({ ...proof, proof: ['zz', ...proof.proof.slice(1)] })).toMatchObject({ ok: false, failure: { kind: 'consistency', message: 'proof hash 0 is not 32 bytes of lowercase hex' } });
    expect(run({ ...proof, from: 2 })).toMatchObject({ ok: false, failure: { kind: 'consistency', message: expect.stringContaining('?from=3&to=5') } });
    expect(run({ ...proof, to_root: flipHex(proof.to_root, 0) })).toMatchObject({ ok: false, failure: { kind: 'consistency', message: "the proof's to_root is not the checkpoint's root" } });
    expect(run(await log.consistency(5, 5), log.notes[4])).toMatchObject({ ok: true });
    expect(verifyCheckpoint({ note: log.notes[2]!, previous: { note: log.notes[4]!, proof } }, deps, { publicKey: log.publicKey })).toMatchObject({ ok: false, failure: { kind: 'consistency', message: expect.stringContaining('larger than') } });
  });

  it('fails naming the inclusion proof or the leaf for a changed hash, index, size or block field', async () => {
    const log = await kernelLog(5);
    const proof = await log.inclusion(2, 5);
    const { log_index, ...block } = log.closed[2];
    const run = (p: typeof proof, leaf: { block: Record<string, unknown>; index?: number; leaf_hash?: string } = { block, index: log_index }) =>
      verifyCheckpoint({ note: log.notes[4]!, inclusion: { proof: p, leaf } }, deps, { publicKey: log.publicKey });
    expect(run(proof)).toMatchObject({ ok: true });
    for (let j = 0; j < proof.audit_path.length; j++) {
      expect(run({ ...proof, audit_path: proof.audit_path.map((h: string, k: number) => (k === j ? flipHex(h, 17) : h)) })).toMatchObject({ ok: false, failure: { kind: 'inclusion', message: expect.stringContaining('is not included at index 2') } });
    }
    expect(run({ ...proof, audit_path: proof.audit_path.slice(1) })).toMatchObject({ ok: false, failure: { kind: 'inclusion' } });
    expect(run({ ...proof, tree_size: 4 })).toMatchObject({ ok: false, failure: { kind: 'inclusion', message: expect.stringContaining('?size=5') } });
    expect(run({ ...proof, leaf_index: 3 }, { block })).toMatchObject({ ok: false, failure: { kind: 'inclusion' } });
    expect(run({ ...proof, root: flipHex(proof.root, 3) })).toMatchObject({ ok: false, failure: { kind: 'inclusion', message: "the proof's root is not the checkpoint's root" } });
    // the leaf: any changed field of the block, named against the proof's leaf hash; without it, the proof fails
    const altered = [
      { ...block, record_count: block.record_count + 1 },
      { ...block, block_close_timestamp: block.block_close_timestamp.replace(/.$/, 'X') },
      { ...block, block_signature: { ...block.block_signature, signature: flipHex(block.block_signature.signature, 9) } },
      { ...block, extra: true },
    ];
    for (const b of altered) {
      expect(run(proof, { block: b })).toMatchObject({ ok: false, failure: { kind: 'leaf', message: expect.stringContaining("the proof's leaf_hash") } });
      expect(run({ ...proof, leaf_hash: undefined }, { block: b })).toMatchObject({ ok: false, failure: { kind: 'inclusion' } });
    }
    expect(run(proof, { block, index: 1 })).toMatchObject({ ok: false, failure: { kind: 'leaf', message: 'the leaf says log index 1, the proof is for index 2' } });
    const entry = await log.entry(2);
    expect(run(proof, { ...entry, block: { ...entry.block, record_count: 99 } })).toMatchObject({ ok: false, failure: { kind: 'leaf', message: expect.stringContaining("not to its entry's leaf_hash") } });
    expect(run({ ...proof, block_id: log.closed[1].block_id })).toMatchObject({ ok: false, failure: { kind: 'leaf' } });
  });
});

