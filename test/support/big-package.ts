/**
 * Writes a synthetic but valid NDJSON audit package of `n` records (chained, Merkle proofs,
 * signed) to `file`, the way the kernel would produce it, quickly enough for 1M records.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { Ed25519Signer } from '../../src/adapters/noble/ed25519.ts';
import { pack } from '../../src/adapters/wasm/merkle.ts';
import { AUDIT_PACKAGE_STREAM_FORMAT } from '../../src/kernel/audit/audit-package.ts';
import { blockSigningInput } from '../../src/kernel/audit/block-signing.ts';
import { toHex } from '../../src/kernel/hex.ts';
import { canonicalJson } from '../../src/kernel/jcs.ts';
import type { AuditRecord } from '../../src/kernel/types.ts';
import { loadKeeWasm, wasmMerkle } from './wasm.ts';

export async function writeBigPackage(file: string, n: number): Promise<{ blockId: string; publicKey: string }> {
  const wasm = loadKeeWasm();
  const merkle = wasmMerkle();
  const enc = new TextEncoder();
  const blockId = 'ab'.repeat(16);
  const sessionId = '00000000-0000-4000-8000-000000000001';
  const canon: string[] = new Array(n);
  let prev: string | null = null;
  for (let i = 0; i < n; i++) {
    const rec: AuditRecord = {
      ale_type: i === 0 ? 'SESSION_OPEN' : 'CEDAR_PERMIT',
      ale_seq: i + 1,
      session_id: sessionId,
      block_id: blockId,
      kernel_id: 'cd'.repeat(32),
      timestamp: new Date(1_790_000_000_000 + i).toISOString(),
      prev_span_hash: prev,
      decision: 'PERMIT',
      principal: { type: 'Agent', id: `agent-${i % 97}` },
      action: { type: 'Action', id: 'read' },
      policy_ids: ['kee-default-read'],
    };
    const c = canonicalJson(rec);
    canon[i] = c;
    prev = toHex(merkle.sha256(enc.encode(c)));
  }
  const { data, offsets } = pack(canon.map((c) => enc.encode(c)));
  const hashes = wasm.leafHashes(data, offsets);
  if (hashes.type !== 'success') throw new Error(hashes.error.message);
  const all = wasm.allInclusionProofs(hashes.value);
  if (all.type !== 'success') throw new Error(all.error.message);
  const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
  const pub = toHex(signer.publicKey());
  const header = { block_id: blockId, merkle_root: toHex(all.root), block_close_timestamp: '2026-11-22T00:00:00.000Z' };
  const block = {
    ...header,
    session_id: sessionId,
    record_count: n,
    block_signature: { algorithm: 'Ed25519', key_id: toHex(merkle.sha256(signer.publicKey())), public_key: pub, signature: toHex(await signer.sign(blockSigningInput(merkle, header))) },
  };
  const fd = openSync(file, 'w');
  writeSync(fd, `${JSON.stringify({ format: AUDIT_PACKAGE_STREAM_FORMAT, block, public_key: { algorithm: 'Ed25519', key_id: block.block_signature.key_id, public_key: pub } })}\n`);
  let buf = '';
  for (let i = 0; i < n; i++) {
    const from = all.offsets[i] as number;
    const to = all.offsets[i + 1] as number;
    const proof: string[] = [];
    for (let j = from; j < to; j++) proof.push(toHex(all.value.subarray(j * 32, j * 32 + 32)));
    buf += `{"leaf_index":${i},"record":${canon[i]},"inclusion_proof":${JSON.stringify(proof)}}\n`;
    if (buf.length > 1 << 22) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  return { blockId, publicKey: pub };
}
