import { DomainError } from './errors.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when every string in a JSON value (keys included) is well-formed UTF-16. */
export function wellFormedJson(v: unknown): boolean {
  if (typeof v === 'string') return !LONE_SURROGATE.test(v);
  if (Array.isArray(v)) return v.every(wellFormedJson);
  if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => !LONE_SURROGATE.test(k) && wellFormedJson(x));
  return true;
}

/**
 * RFC 8785 (JCS) canonical JSON, in TypeScript: the kernel's write path. RFC 8785 defines
 * string and number serialization as ECMAScript's `JSON.stringify`, so canonicalization is
 * sorting object keys by UTF-16 code units and printing without whitespace.
 *
 * Verification re-canonicalizes with the independent Rust implementation (the Merkle port), so
 * the two check each other on every audit read; the property tests require them to agree.
 * Rejects what is not I-JSON: non-finite numbers, lone surrogates, non-JSON values.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw invalid('a string is not well-formed unicode');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid('a number is not finite');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const keys = Object.keys(value).sort();
      let out = '{';
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${canonicalJson(k)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw invalid(`a \`${typeof value}\` is not a JSON value`);
  }
}

function invalid(why: string): DomainError {
  return new DomainError('INVALID_INPUT', `value cannot be canonicalized as JSON: ${why}`);
}
