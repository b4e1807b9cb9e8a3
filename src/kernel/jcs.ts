import { DomainError } from './errors.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** ES2024 `String.prototype.isWellFormed` (Node 20, Bun, Deno, workerd); the regex where absent. */
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const wellFormedString: (s: string) => boolean = nativeWellFormed
  ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
  : (s) => !LONE_SURROGATE.test(s);

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
  // Fast path: copy with sorted keys, then one native JSON.stringify. It gives up (null) on
  // what V8 would not print in insertion order (integer-like keys) or cannot hold as a plain
  // key (`__proto__`); a `\ud8xx`-`\udfxx` escape in the output can only come from a lone
  // surrogate, so then the exact path below decides (and throws).
  const copy = sortedCopy(value);
  if (copy !== GIVE_UP) {
    const out = JSON.stringify(copy);
    if (typeof out === 'string' && !out.includes('\\ud')) return out;
  }
  return canonicalSlow(value);
}

const GIVE_UP = Symbol('give up');

/** A JSON value with every object's keys inserted in UTF-16 order, or GIVE_UP. */
function sortedCopy(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : GIVE_UP;
    case 'object':
      break;
    default:
      return GIVE_UP; // undefined, functions, symbols, bigints: the exact path names them
  }
  if (v === null) return v;
  if (Array.isArray(v)) {
    const a: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = sortedCopy(v[i]);
      if (x === GIVE_UP) return GIVE_UP;
      a[i] = x;
    }
    return a;
  }
  const keys = Object.keys(v).sort();
  const o: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === '__proto__') return GIVE_UP;
    const member = (v as Record<string, unknown>)[k];
    if (member === undefined) continue; // as in the exact path: an undefined member is absent
    const x = sortedCopy(member);
    if (x === GIVE_UP) return GIVE_UP;
    o[k] = x;
  }
  return o;
}

/** The exact recursive form: validates every value and names what is not I-JSON. */
function canonicalSlow(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (!wellFormedString(value)) throw invalid('a string is not well-formed unicode');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid('a number is not finite');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      // plain loops: this is the audit write path, run for every record
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += canonicalSlow(value[i]);
        }
        return `${out}]`;
      }
      const keys = Object.keys(value).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += canonicalSlow(k);
        out += ':';
        out += canonicalSlow(v);
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
