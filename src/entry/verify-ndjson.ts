/**
 * `kee audit verify` for NDJSON package streams (`GET …/package?format=ndjson`), in constant
 * memory. Large files are cut at line boundaries into one chunk per CPU; worker threads
 * (`verify-worker.ts`) verify the chunks in parallel, each taking its first record's
 * `prev_span_hash` and `leaf_index` as given; this thread then checks that every chunk starts
 * exactly where the one before ended (index and chain link) and that the record count matches.
 * When a chunk fails or a link between chunks does not hold, the package is re-verified in one
 * pass from that chunk's start, so the failure reported is exactly the one a sequential pass
 * reports first.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import process from 'node:process';
import { parseStreamEntry, parseStreamHeader } from '../audit-cli/package-schema.ts';
import { StreamVerifier, type PackageEntry, type VerifyDeps, type VerifyFailure, type VerifyResult } from '../kernel/audit/stream-verify.ts';
import { startTsWorker } from './ts-worker.ts';

export type NdjsonOptions = {
  expectedPublicKey?: string;
  progress?: boolean;
  /** Worker threads for large files; default one per CPU. */
  threads?: number;
  /** Bytes of records below which one thread verifies alone (default 32 MiB; tests set 0). */
  minParallelBytes?: number;
};

/** A bad header or an empty file: not a verdict about the package (exit 2). */
export class StreamUsageError extends Error {}

/** Below this many bytes of records, starting workers costs more than it saves. */
const MIN_PARALLEL_BYTES = 32 * 1024 * 1024;
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** What a chunk's verification reports back. */
export type ChunkResult = { ok: boolean; records: number; lines: number; firstIndex: number | null; firstPrev: unknown; lastHash: string | null };

export async function verifyNdjson(file: string, deps: VerifyDeps, options: NdjsonOptions = {}): Promise<VerifyResult> {
  const { header, end: headerEnd, lines: headerLines } = await readHeader(file);
  const verifier = new StreamVerifier(header, deps, options.expectedPublicKey === undefined ? {} : { expectedPublicKey: options.expectedPublicKey });
  const failed = verifier.begin();
  if (failed) return { ok: false, failure: failed };
  const total = header.block.record_count;
  const progress = makeProgress(options.progress === true, total);
  const size = (await stat(file)).size;
  const minBytes = options.minParallelBytes ?? MIN_PARALLEL_BYTES;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), 16));
  if (threads > 1 && size - headerEnd >= minBytes) {
    const result = await verifyParallel(file, { end: headerEnd, lines: headerLines }, size, threads, verifier, options, progress);
    progress.done();
    return result;
  }
  const r = await verifyRange(file, headerEnd, undefined, verifier, { index: 0, line: headerLines }, progress.add);
  progress.done();
  return r.failure ? { ok: false, failure: r.failure } : verifier.end();
}

async function verifyParallel(
  file: string,
  head: { end: number; lines: number },
  size: number,
  threads: number,
  verifier: StreamVerifier,
  options: NdjsonOptions,
  progress: ReturnType<typeof makeProgress>,
): Promise<VerifyResult> {
  const headerEnd = head.end;
  const starts = [headerEnd];
  for (let k = 1; k < threads; k++) {
    const at = await lineStartAtOrAfter(file, headerEnd + Math.floor((k * (size - headerEnd)) / threads));
    if (at > (starts[starts.length - 1] as number) && at < size) starts.push(at);
  }
  const chunks = starts.map((start, k) => ({ start, end: starts[k + 1] ?? size }));
  let results: ChunkResult[];
  try {
    results = await Promise.all(chunks.map((c) => runChunk(file, c, options.expectedPublicKey, progress.add)));
  } catch {
    // a worker could not run (e.g. no threads here): one pass in this thread instead
    progress.reset();
    const r = await verifyRange(file, headerEnd, undefined, verifier, { index: 0, line: head.lines }, progress.add);
    return r.failure ? { ok: false, failure: r.failure } : verifier.end();
  }
  let index = 0;
  let prevHash: string | null = null;
  let line = head.lines;
  for (let k = 0; k < chunks.length; k++) {
    const r = results[k] as ChunkResult;
    const linked = r.records === 0 || (r.firstIndex === index && r.firstPrev === prevHash);
    if (!r.ok || !linked) {
      // the exact first failure: one pass from this chunk's start, with the true state
      verifier.resume(index, prevHash);
      const again = await verifyRange(file, (chunks[k] as { start: number }).start, undefined, verifier, { index, line }, () => undefined);
      return again.failure ? { ok: false, failure: again.failure } : verifier.end();
    }
    index += r.records;
    if (r.records > 0) prevHash = r.lastHash;
    line += r.lines;
  }
  verifier.resume(index, prevHash);
  return verifier.end();
}

function runChunk(file: string, chunk: { start: number; end: number }, expectedPublicKey: string | undefined, onProgress: (n: number) => void): Promise<ChunkResult> {
  return new Promise((resolve, reject) => {
    const worker = startTsWorker(new URL('./verify-worker.ts', import.meta.url), {
      workerData: { file, start: chunk.start, end: chunk.end, ...(expectedPublicKey === undefined ? {} : { expectedPublicKey }) },
    });
    worker.on('message', (m: { progress?: number; result?: ChunkResult }) => {
      if (m.progress !== undefined) onProgress(m.progress);
      if (m.result) resolve(m.result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`verify worker exited with code ${code}`)));
  });
}

/**
 * Verifies the records of bytes [start, end) (to the end of the file without `end`) with
 * `verifier`. `base` numbers the first record and the line before the range, for messages.
 * With `trustFirst`, the first record's leaf_index and prev_span_hash are taken as given (a
 * chunk of a parallel verification; see verifyParallel).
 */
export async function verifyRange(
  file: string,
  start: number,
  end: number | undefined,
  verifier: StreamVerifier,
  base: { index: number; line: number },
  onProgress: (n: number) => void,
  trustFirst = false,
): Promise<{ failure: VerifyFailure | null; records: number; lines: number; first: PackageEntry | null }> {
  const out: { failure: VerifyFailure | null; first: PackageEntry | null } = { failure: null, first: null };
  let records = 0;
  let lines = 0;
  let reported = 0;
  await forEachLine(file, start, end, (text) => {
    lines++;
    if (text.length === 0 || text.trim() === '') return true;
    const index = base.index + records;
    const lineNo = base.line + lines;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      out.failure = { kind: 'record', index, message: `record ${index}: line ${lineNo} is not valid JSON` };
      return false;
    }
    let entry: PackageEntry;
    try {
      entry = parseStreamEntry(value, lineNo);
    } catch (e) {
      out.failure = { kind: 'record', index, message: `record ${index}: ${e instanceof Error ? e.message : String(e)}` };
      return false;
    }
    if (out.first === null) {
      out.first = entry;
      if (trustFirst) verifier.resume(entry.leaf_index);
    }
    const f = verifier.push(entry);
    if (f) {
      out.failure = f;
      return false;
    }
    records++;
    if (records - reported >= 8192) {
      onProgress(records - reported);
      reported = records;
    }
    return true;
  });
  onProgress(records - reported);
  return { failure: out.failure, records, lines, first: out.first };
}

/**
 * Calls `onLine` with each line of bytes [start, end) (split on `\n`, a trailing `\r` dropped)
 * until it returns false. Faster than `readline` for million-line files.
 */
async function forEachLine(file: string, start: number, end: number | undefined, onLine: (text: string) => boolean): Promise<void> {
  const stream = createReadStream(file, { start, ...(end === undefined ? {} : { end: end - 1 }), highWaterMark: 1 << 20 });
  let rest: Buffer | null = null;
  const emit = (buf: Buffer, from: number, to: number): boolean => {
    const stop = to > from && buf[to - 1] === 0x0d ? to - 1 : to;
    return onLine(buf.toString('utf8', from, stop));
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = null;
      let from = 0;
      for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, from)) {
        if (!emit(buf, from, nl)) return;
        from = nl + 1;
      }
      if (from < buf.length) rest = buf.subarray(from);
    }
    if (rest && rest.length > 0) emit(rest, 0, rest.length);
  } finally {
    stream.destroy();
  }
}

/** The header line (the first that is not blank), parsed; the byte offset and line number after it. */
export async function readHeader(file: string): Promise<{ header: ReturnType<typeof parseStreamHeader>; end: number; lines: number }> {
  let text: string | null = null;
  let end = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  let seen: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      seen = Buffer.concat([seen, chunk]);
      // the header is the first line that is not blank
      for (let from = 0, nl = seen.indexOf(0x0a); ; from = nl + 1, nl = seen.indexOf(0x0a, from)) {
        const stop = nl < 0 ? -1 : nl;
        if (stop < 0) break;
        const line = seen.toString('utf8', from, stop).trim();
        if (line !== '') {
          text = line;
          end = nl + 1;
          break;
        }
      }
      if (text !== null || seen.length > MAX_HEADER_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  if (text === null) {
    const whole = seen.toString('utf8').trim();
    if (whole === '') throw new StreamUsageError('the stream is empty');
    if (seen.length > MAX_HEADER_BYTES) throw new StreamUsageError('the stream header line is too long');
    text = whole;
    end = seen.length;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StreamUsageError('line 1 is not valid JSON');
  }
  let lines = 0;
  for (let i = seen.indexOf(0x0a); i >= 0 && i < end; i = seen.indexOf(0x0a, i + 1)) lines++;
  return { header: parseStreamHeader(value), end, lines: Math.max(lines, 1) };
}

/** The offset of the first line that starts at or after `at`. */
async function lineStartAtOrAfter(file: string, at: number): Promise<number> {
  let pos = at - 1; // a line starts at `at` if byte at-1 is a newline
  const stream = createReadStream(file, { start: pos, highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const nl = chunk.indexOf(0x0a);
      if (nl >= 0) return pos + nl + 1;
      pos += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  return pos;
}

function makeProgress(enabled: boolean, total: number) {
  let n = 0;
  let last = 0;
  const show = (done: boolean) => {
    const pct = total ? Math.floor((100 * Math.min(n, total)) / total) : 100;
    process.stderr.write(`\rverifying: ${n.toLocaleString('en')} / ${total.toLocaleString('en')} records (${pct}%)${done ? '\n' : ''}`);
  };
  return {
    add: (k: number) => {
      n += k;
      if (enabled && Date.now() - last > 200) {
        last = Date.now();
        show(false);
      }
    },
    reset: () => {
      n = 0;
    },
    done: () => {
      if (enabled) show(true);
    },
  };
}
