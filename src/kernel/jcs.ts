import { DomainError } from './errors.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** ES2024 `String.prototype.isWellFormed` (Node 20, Bun, Deno, workerd); the regex where absent. */
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const wellFormedString: (s: string) => boolean = nativeWellFormed
  ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
  : (s) => !LONE_SURROGATE.test(s);

/** True when every string in a JSON value (keys included) is well-formed UTF-16. */
export function wellFormedJson(v: unknown): boolean {
  if (typeof v === 'string') return wellFormedString(v);
  if (Array.isArray(v)) return v.every(wellFormedJson);
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) if (!wellFormedString(k) || !wellFormedJson((v as Record<string, unknown>)[k])) return false;
  }
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

/** Strictly increasing in UTF-16 code units, as `sort()` orders strings. */
function inOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) >= (keys[i] as string)) return false;
  return true;
}

/**
 * A JSON value with every object's keys inserted in UTF-16 order, or GIVE_UP. Copy on change:
 * an object whose keys are already in order and whose members need no change is returned as it
 * is, not copied (the audit log builds its records in key order, so the write path copies
 * nothing). An object with a `toJSON` is always copied: `JSON.stringify` would call it, the
 * canonical form never does.
 */
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
  const mustCopy = (v as { toJSON?: unknown }).toJSON !== undefined;
  if (Array.isArray(v)) {
    let a: unknown[] | null = mustCopy ? new Array(v.length) : null;
    for (let i = 0; i < v.length; i++) {
      const x = sortedCopy(v[i]);
      if (x === GIVE_UP) return GIVE_UP;
      if (a === null && x !== v[i]) a = v.slice(0, i);
      if (a !== null) a[i] = x;
    }
    return a ?? v;
  }
  const keys = Object.keys(v);
  const sorted = inOrder(keys);
  if (!sorted) keys.sort();
  let o: Record<string, unknown> | null = sorted && !mustCopy ? null : {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === '__proto__') return GIVE_UP;
    const member = (v as Record<string, unknown>)[k];
    if (member === undefined) continue; // as in the exact path (and JSON.stringify): an undefined member is absent
    const x = sortedCopy(member);
    if (x === GIVE_UP) return GIVE_UP;
    if (o === null && x !== member) {
      o = {};
      for (let j = 0; j < i; j++) {
        const kj = keys[j] as string;
        const mj = (v as Record<string, unknown>)[kj];
        if (mj !== undefined) o[kj] = mj;
      }
    }
    if (o !== null) o[k] = x;
  }
  return o ?? v;
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
