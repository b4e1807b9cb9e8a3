/**
 * Offline verification in the browser with the kernel's own code: the streaming package
 * verifier (src/kernel/audit/stream-verify.ts), the checkpoint verifier, the CLI's input
 * schemas and verdict lines, over the Kee WASM module fetched from this kernel (the same bytes
 * the kernel and `kee audit verify` use) and noble's Ed25519. Nothing the server says is taken
 * on trust but the code itself.
 */
import { ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { initKeeWasm } from '../../src/adapters/wasm/load.ts';
import { WasmMerkle } from '../../src/adapters/wasm/merkle.ts';
import { parseCheckpointJson, parseConsistencyProof } from '../../src/audit-cli/checkpoint-schema.ts';
import { parseAuditPackage, parseStreamEntry, parseStreamHeader } from '../../src/audit-cli/package-schema.ts';
import { checkpointVerdict, packageVerdict } from '../../src/audit-cli/verdict.ts';
import { AUDIT_PACKAGE_STREAM_FORMAT } from '../../src/kernel/audit/audit-package.ts';
import { StreamVerifier, type VerifyDeps, type VerifyResult } from '../../src/kernel/audit/stream-verify.ts';
import { verifyCheckpoint, type CheckpointVerifyResult } from '../../src/kernel/audit/verify-checkpoint.ts';
import { verifyPackage } from '../../src/kernel/audit/verify-package.ts';
import { fromHex } from '../../src/kernel/hex.ts';

export { checkpointVerdict, packageVerdict };

let deps: Promise<VerifyDeps> | null = null;

/** The verifier's dependencies, loading the WASM module from the kernel once. */
export function verifyDeps(): Promise<VerifyDeps> {
  deps ??= (async () => {
    const res = await fetch('/console/assets/kee_wasm_bg.wasm');
    if (!res.ok) throw new Error('this kernel does not serve the WASM module (a Worker deployed without its static assets, docs/edge.md): verify with `npm run -s kee -- audit verify`');
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { merkle: new WasmMerkle(initKeeWasm(bytes)), verifier: ed25519Verifier };
  })();
  deps.catch(() => (deps = null));
  return deps;
}

/** What the CLI prints for input it cannot read as a package (exit 2), not a verdict. */
export class Unreadable extends Error {}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Verifies a package given as a Blob (a dropped file or pasted text): an NDJSON stream (its
 * first line names the stream format, as the CLI decides) is read line by line, so a large one
 * never sits in memory whole; anything else is read as one JSON package.
 */
export async function verifyPackageBlob(blob: Blob, options: { expectedPublicKey?: string } = {}, onProgress?: (records: number) => void): Promise<VerifyResult> {
  const d = await verifyDeps();
  const head = await blob.slice(0, 4096).text();
  if (!head.includes(`"format":"${AUDIT_PACKAGE_STREAM_FORMAT}"`)) {
    let value: unknown;
    try {
      value = JSON.parse(await blob.text());
    } catch {
      throw new Unreadable('the file is not valid JSON');
    }
    try {
      return verifyPackage(parseAuditPackage(value), d, options);
    } catch (e) {
      throw new Unreadable(message(e));
    }
  }
  return verifyStream(blob, d, options, onProgress);
}

async function verifyStream(blob: Blob, d: VerifyDeps, options: { expectedPublicKey?: string }, onProgress?: (records: number) => void): Promise<VerifyResult> {
  const reader = blob.stream().pipeThrough(new TextDecoderStream()).getReader();
  let verifier: StreamVerifier | null = null;
  let lineNo = 0;
  let records = 0;
  let buf = '';
  let result: VerifyResult | null = null;
  const onLine = (raw: string): boolean => {
    lineNo++;
    const text = raw.trim();
    if (text === '') return true;
    if (verifier === null) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new Unreadable('line 1 is not valid JSON');
      }
      try {
        verifier = new StreamVerifier(parseStreamHeader(value), d, options);
      } catch (e) {
        throw new Unreadable(message(e));
      }
      const failed = verifier.begin();
      if (failed) result = { ok: false, failure: failed };
      return !failed;
    }
    const index = records;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      result = { ok: false, failure: { kind: 'record', index, message: `record ${index}: line ${lineNo} is not valid JSON` } };
      return false;
    }
    let failure;
    try {
      failure = verifier.push(parseStreamEntry(value, lineNo));
    } catch (e) {
      failure = { kind: 'record' as const, index, message: `record ${index}: ${message(e)}` };
    }
    if (failure) {
      result = { ok: false, failure };
      return false;
    }
    records++;
    if (onProgress && records % 8192 === 0) onProgress(records);
    return true;
  };
  try {
    reading: for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!onLine(line)) break reading;
      }
    }
    if (result === null && buf !== '') onLine(buf);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (result) return result;
  if (verifier === null) throw new Unreadable('the stream is empty');
  return (verifier as StreamVerifier).end();
}

/** A pasted checkpoint: the signed note as served (text), or its JSON form (then its note). */
function noteOf(text: string): string {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    return parseCheckpointJson(JSON.parse(text)).note;
  } catch (e) {
    throw new Unreadable(`not a checkpoint: ${message(e)}`);
  }
}

/**
 * Verifies a checkpoint pair as `kee audit verify-checkpoint <newer> --previous <older> --proof
 * <proof>` does: the newer note's signature, then that it extends the older one. `proof` is the
 * consistency proof JSON (GET /v1/audit/proofs/consistency); the kernel is not trusted for it.
 */
export async function verifyCheckpointPair(input: { newer: string; older?: string; proof?: unknown; publicKey: string; origin?: string }): Promise<CheckpointVerifyResult> {
  const d = await verifyDeps();
  const publicKey = fromHex(input.publicKey.trim().toLowerCase());
  if (!publicKey || publicKey.length !== 32) throw new Unreadable("the public key must be the kernel's Ed25519 key, 64 hex digits (GET /v1/kernel/public-key)");
  const check: Parameters<typeof verifyCheckpoint>[0] = { note: noteOf(input.newer) };
  if (input.older !== undefined && input.older.trim() !== '') {
    let proof;
    try {
      proof = parseConsistencyProof(input.proof);
    } catch (e) {
      throw new Unreadable(`consistency proof: ${message(e)}`);
    }
    check.previous = { note: noteOf(input.older), proof };
  }
  return verifyCheckpoint(check, d, { publicKey, ...(input.origin ? { origin: input.origin } : {}) });
}

/** The size a signed checkpoint note states (its second line), to ask for a consistency proof. */
export function noteSize(text: string): number | null {
  const line = noteOf(text).split('\n')[1];
  return line !== undefined && /^\d+$/.test(line) ? Number(line) : null;
}
