/**
 * One chunk of a parallel `kee audit verify` (see `verify-ndjson.ts`): verifies the records in
 * bytes [start, end) of an NDJSON package, taking the first record's leaf_index and
 * prev_span_hash as given, and reports the counts and the chain hashes at both ends.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { StreamVerifier } from '../kernel/audit/stream-verify.ts';
import { readHeader, verifyRange, type ChunkResult } from './verify-ndjson.ts';

type Job = { file: string; start: number; end: number; expectedPublicKey?: string };
const job = workerData as Job;
const port = parentPort;
if (!port) throw new Error('verify-worker.ts runs as a worker thread');

const merkle = new WasmMerkle(initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url))));
const { header } = await readHeader(job.file);
const verifier = new StreamVerifier(header, { merkle, verifier: ed25519Verifier }, job.expectedPublicKey === undefined ? {} : { expectedPublicKey: job.expectedPublicKey });
const begun = verifier.begin();
let result: ChunkResult;
if (begun) result = { ok: false, records: 0, lines: 0, firstIndex: null, firstPrev: null, lastHash: null };
else {
  const r = await verifyRange(job.file, job.start, job.end, verifier, { index: 0, line: 0 }, (n) => port.postMessage({ progress: n }), true);
  result = {
    ok: r.failure === null,
    records: r.records,
    lines: r.lines,
    firstIndex: r.first ? r.first.leaf_index : null,
    firstPrev: r.first ? r.first.record.prev_span_hash : null,
    lastHash: verifier.lastHash,
  };
}
port.postMessage({ result });
