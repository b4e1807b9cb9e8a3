import type { Context } from 'hono';
import { safeParse, type core } from './zod.ts';
import { DomainError } from '../kernel/errors.ts';
import { bodyTimedOut, type BodyDeadline, type BodyDeadlineEnv } from './body-deadline.ts';
import { wellFormedJson } from '../kernel/jcs.ts';
import { MAX_JSON_DEPTH } from './json-depth.ts';
import { scanJson } from './strict-json.ts';

/** Largest request body the kernel reads (64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body: 415 unless `application/json`, 413 past the size limit
 * (`maxBytes`, default 64 KiB; checked on the declared length, then on the bytes as they
 * stream in), 400 for malformed JSON (duplicate keys included), a number `JSON.parse` would
 * round, or a body that does not match `schema`.
 */
export async function readJson<S extends core.$ZodType>(c: Context, schema: S, maxBytes = MAX_BODY_BYTES): Promise<core.output<S>> {
  requireJsonType(c.req.header('content-type'));
  return validJson(await requestBody(c, maxBytes), schema);
}

/** 415 UNSUPPORTED_MEDIA_TYPE unless the `Content-Type` header `type` is `application/json` (or `+json`). */
export function requireJsonType(type: string | undefined): void {
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type ?? '')) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body must be `application/json`');
  }
}

/** The body `bytes` parsed strictly (`parseStrictJson`) and checked against `schema`: `readJson` after the body is in. */
export function validJson<S extends core.$ZodType>(bytes: Uint8Array, schema: S): core.output<S> {
  const value = parseStrictJson(bytes);
  if (!wellFormedJson(value)) throw new DomainError('INVALID_INPUT', 'invalid request body: strings must be well-formed unicode (no lone surrogates)');
  const parsed = safeParse(schema, value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `\`${i.path.join('.') || '(body)'}\` ${i.message.toLowerCase()}`);
    throw new DomainError('INVALID_INPUT', `invalid request body: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Past the limit, this much more of a body is read and dropped before the stream is cancelled:
 * a client that sent a little too much still reads its 413 (a server that closes with unread
 * bytes resets the connection, and the reset can destroy the answer), while a huge body costs
 * at most this much reading and no memory.
 */
export const DRAIN_BYTES = 1024 * 1024;

/**
 * The body of the request of `c`, by `readBody`'s rules. Under `@hono/node-server` (Node) it is
 * read straight from Node's `IncomingMessage` (`readIncoming`), which spares each request the
 * Web `Request` the adapter would otherwise build for it (with its `AbortController`, `Headers`
 * and a Web stream over the Node stream); everywhere else, and on Node whenever something has
 * already started reading the body, from the Web `Request`.
 */
export function requestBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const incoming = unreadIncoming(c);
  return incoming ? readIncoming(incoming, maxBytes) : readBody(c.req.raw, maxBytes, (c.env as Partial<BodyDeadlineEnv> | undefined)?.bodyDeadline);
}

/** The part of Node's `http.IncomingMessage` read here (duck-typed: this module runs on every runtime). */
type Incoming = AsyncIterable<Uint8Array> & { headers: Record<string, string | string[] | undefined>; readableDidRead: boolean; listenerCount(event: string): number };

/** `@hono/node-server` passes `{ incoming, outgoing }` as the app's env: the incoming message, if nothing has read from it. */
function unreadIncoming(c: Context): Incoming | undefined {
  const incoming = (c.env as { incoming?: Partial<Incoming> } | undefined)?.incoming;
  if (!incoming || typeof incoming !== 'object' || typeof incoming[Symbol.asyncIterator] !== 'function' || typeof incoming.listenerCount !== 'function') return undefined;
  if (incoming.readableDidRead !== false || incoming.listenerCount('data') > 0) return undefined;
  return incoming as Incoming;
}

/**
 * `readBody` over a Node `IncomingMessage`: the same limits, the same errors (a declared length
 * past `maxBytes` refused before reading; past `maxBytes + DRAIN_BYTES` the stream is destroyed,
 * as cancelling the adapter's Web stream does; a body cut short is 400).
 */
export async function readIncoming(incoming: Incoming, maxBytes: number): Promise<Uint8Array> {
  const declared = incoming.headers['content-length'];
  if (typeof declared === 'string' && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of incoming) {
      total += chunk.byteLength;
      if (total <= maxBytes) chunks.push(chunk);
      else if (total > maxBytes + DRAIN_BYTES) break; // leaving the loop destroys the stream
    }
  } catch (e) {
    throw e instanceof DomainError ? e : new DomainError('INVALID_INPUT', 'request body could not be read to its end', { cause: e });
  }
  if (total > maxBytes) throw tooLarge(maxBytes);
  return joined(chunks, total);
}

/**
 * The body of `req`, at most `maxBytes` of it: a declared `Content-Length` past the limit is
 * refused before reading, and a body without one (chunked) is counted as it streams. Past the
 * limit nothing more is kept; after `DRAIN_BYTES` more the stream is cancelled and the answer
 * is 413, so a client cannot make the kernel hold more than `maxBytes` (plus one chunk) of any
 * body, nor read more than `maxBytes + DRAIN_BYTES` of it. With a `deadline` (body-deadline.ts),
 * a body not in by then is 408 REQUEST_TIMEOUT and its stream is cancelled.
 */
export async function readBody(req: Request, maxBytes: number, deadline?: BodyDeadline): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = deadline
    ? new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(bodyTimedOut(deadline));
          reader.cancel().catch(() => undefined);
        }, Math.max(0, deadline.at - performance.now()));
      })
    : undefined;
  expired?.catch(() => undefined); // it is raced with each read; a deadline that passes between them is not an unhandled rejection
  try {
    return await readAll(reader, maxBytes, expired);
  } finally {
    clearTimeout(timer);
  }
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number, expired: Promise<never> | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await (expired ? Promise.race([reader.read(), expired]) : reader.read()).catch((e: unknown) => {
      // the body deadline says so; a client that went away is a bad request
      throw e instanceof DomainError ? e : new DomainError('INVALID_INPUT', 'request body could not be read to its end', { cause: e });
    });
    if (done) break;
    total += value.byteLength;
    if (total <= maxBytes) chunks.push(value);
    else if (total > maxBytes + DRAIN_BYTES) {
      // stop pulling: the runtime drops the rest of the body instead of buffering it
      reader.cancel().catch(() => undefined);
      break;
    }
  }
  if (total > maxBytes) throw tooLarge(maxBytes);
  return joined(chunks, total);
}

function joined(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * `JSON.parse` of UTF-8 `bytes`, refusing what it would let through silently (`strict-json.ts`):
 * invalid UTF-8, syntax errors and duplicate keys are 400 MALFORMED_JSON; nesting deeper than
 * MAX_JSON_DEPTH, or a number it would round, is 400 INVALID_INPUT (naming the number's path).
 */
export function parseStrictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new DomainError('MALFORMED_JSON', 'request body is not valid JSON: invalid UTF-8');
  }
  const scan = scanJson(text, MAX_JSON_DEPTH);
  if (!scan.ok) {
    if (scan.kind === 'unsafe-number' || scan.kind === 'too-deep') throw new DomainError('INVALID_INPUT', `invalid request body: ${scan.message}`);
    throw new DomainError('MALFORMED_JSON', `request body is not valid JSON: ${scan.message}`);
  }
  return JSON.parse(text);
}

/** One decoder for every body: without `{ stream: true }` each `decode` stands alone. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function tooLarge(maxBytes: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
}
