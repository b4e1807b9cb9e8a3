import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError } from '../kernel/errors.ts';
import { wellFormedJson } from '../kernel/jcs.ts';
import { MAX_JSON_DEPTH, withinDepth } from './json-depth.ts';

/** Largest request body the kernel reads (64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body: 415 unless `application/json`, 413 past the size limit
 * (`maxBytes`, default 64 KiB)
 * (checked on the declared length and on the bytes read), 400 for malformed JSON or a body
 * that does not match `schema`.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes = MAX_BODY_BYTES): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body must be `application/json`');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > maxBytes) throw tooLarge(maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    throw new DomainError('MALFORMED_JSON', 'request body is not valid JSON');
  }
  if (!withinDepth(value)) throw new DomainError('INVALID_INPUT', `invalid request body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (!wellFormedJson(value)) throw new DomainError('INVALID_INPUT', 'invalid request body: strings must be well-formed unicode (no lone surrogates)');
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `\`${i.path.join('.') || '(body)'}\` ${i.message.toLowerCase()}`);
    throw new DomainError('INVALID_INPUT', `invalid request body: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
}
