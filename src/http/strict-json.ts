/**
 * A strict, single-pass JSON scanner run over a request body before `JSON.parse`, for what
 * `JSON.parse` lets through silently:
 *
 * - a **duplicate key** at any depth (`JSON.parse` keeps the last one, a proxy may read the
 *   first: the two would see different requests);
 * - a **number it would round**: an integer-valued literal outside ±(2^53−1)
 *   (`9007199254740993`, `1e20`), a literal it would round to an integer it does not denote
 *   (`1.0000000000000000001`, `1e-400`), or one it would turn into `Infinity` (`1e400`).
 *   Cedar's `Long` is 64-bit: a rounded value would be decided on, but never sent.
 *
 * The grammar is RFC 8259's, exactly what `JSON.parse` accepts (the property test holds the two
 * to the same verdict). Iterative, with an explicit stack: hostile nesting cannot overflow it.
 */

export type JsonScan = { ok: true } | { ok: false; kind: 'syntax' | 'too-deep' | 'duplicate-key' | 'unsafe-number'; message: string };

/** One open array or object within `maxDepth`; deeper ones are only counted (their kind kept). */
type Frame = { array: boolean; keys: Set<string> | undefined; key: string; index: number };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Scans `text` once. A syntax error wins over the other findings (so `ok` agrees with
 * `JSON.parse` on validity); then nesting deeper than `maxDepth` arrays and objects; then the
 * first duplicate key; then the first unsafe number. Memory stays bounded by `maxDepth` frames
 * plus one byte per level, however deep a hostile body nests.
 *
 * @example
 * scanJson('{"a":1,"a":2}') // { ok: false, kind: 'duplicate-key', message: 'duplicate key `a` in `(body)`' }
 */
export function scanJson(text: string, maxDepth = Infinity): JsonScan {
  const s = new Scanner(text, maxDepth);
  const syntax = s.run();
  if (syntax !== undefined) return { ok: false, kind: 'syntax', message: syntax };
  if (s.tooDeep) return { ok: false, kind: 'too-deep', message: `nested deeper than ${maxDepth} levels` };
  if (s.duplicate !== undefined) return { ok: false, kind: 'duplicate-key', message: s.duplicate };
  if (s.unsafe !== undefined) return { ok: false, kind: 'unsafe-number', message: s.unsafe };
  return { ok: true };
}

class Scanner {
  private i = 0;
  /** Frames of the open levels up to `maxDepth`. */
  private readonly stack: Frame[] = [];
  /** 1 for an array, 2 for an object, per open level (`depth` of them). */
  private kinds = new Uint8Array(64);
  private depth = 0;
  tooDeep = false;
  duplicate: string | undefined;
  unsafe: string | undefined;

  private readonly t: string;
  private readonly maxDepth: number;

  constructor(t: string, maxDepth: number) {
    this.t = t;
    this.maxDepth = maxDepth;
  }

  private open(array: boolean): void {
    if (this.depth === this.kinds.length) {
      const grown = new Uint8Array(this.kinds.length * 2);
      grown.set(this.kinds);
      this.kinds = grown;
    }
    this.kinds[this.depth++] = array ? 1 : 2;
    if (this.depth > this.maxDepth) this.tooDeep = true;
    else this.stack.push({ array, keys: undefined, key: '', index: 0 });
  }

  private close(): void {
    if (this.depth-- <= this.maxDepth) this.stack.pop();
  }

  /** The innermost frame, if it is within `maxDepth` (keys and indexes are tracked only there). */
  private top(): Frame | undefined {
    return this.depth <= this.maxDepth ? this.stack[this.stack.length - 1] : undefined;
  }

  /** Undefined when `t` is one JSON text; else what is wrong and where. */
  run(): string | undefined {
    const t = this.t;
    // expecting: 'value' | 'key' (after `{` or `,` in an object) | 'after' (a value ended)
    let state: 'value' | 'first-value' | 'key' | 'first-key' | 'after' = 'value';
    for (;;) {
      this.ws();
      if (state === 'after') {
        if (this.depth === 0) return this.i === t.length ? undefined : this.err('unexpected text after the JSON value');
        const array = this.kinds[this.depth - 1] === 1;
        const c = t.charCodeAt(this.i);
        if (c === 0x2c /* , */) {
          this.i++;
          const top = this.top();
          if (top !== undefined) top.index++;
          state = array ? 'value' : 'key';
        } else if (c === (array ? 0x5d /* ] */ : 0x7d) /* } */) {
          this.i++;
          this.close();
        } else return this.err(`expected \`,\` or \`${array ? ']' : '}'}\``);
        continue;
      }
      if (state === 'key' || state === 'first-key') {
        const c = t.charCodeAt(this.i);
        if (state === 'first-key' && c === 0x7d /* } */) {
          this.i++;
          this.close();
          state = 'after';
          continue;
        }
        if (c !== 0x22 /* " */) return this.err('expected a string key');
        const start = this.i;
        const bad = this.string();
        if (bad !== undefined) return bad;
        const top = this.top();
        if (top !== undefined) {
          const raw = t.slice(start, this.i);
          // a key with escapes is decoded as `JSON.parse` would: `"a"` and `"\u0061"` are one key
          const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
          top.key = key;
          top.keys ??= new Set();
          if (top.keys.has(key)) this.duplicate ??= `duplicate key \`${clip(key)}\` in \`${this.path(false)}\``;
          top.keys.add(key);
        }
        this.ws();
        if (t.charCodeAt(this.i) !== 0x3a /* : */) return this.err('expected `:` after a key');
        this.i++;
        state = 'value';
        continue;
      }
      // a value
      const c = t.charCodeAt(this.i);
      if (state === 'first-value' && c === 0x5d /* ] */) {
        this.i++;
        this.close();
        state = 'after';
        continue;
      }
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        this.i++;
        this.open(c === 0x5b);
        state = c === 0x5b ? 'first-value' : 'first-key';
        continue;
      }
      const bad = c === 0x22 ? this.string() : c === 0x2d || (c >= 0x30 && c <= 0x39) ? this.number() : this.literal();
      if (bad !== undefined) return bad;
      state = 'after';
    }
  }

  private ws(): void {
    const t = this.t;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  /** One string literal starting at `"`; leaves `i` after the closing quote. */
  private string(): string | undefined {
    const t = this.t;
    this.i++;
    for (;;) {
      if (this.i >= t.length) return this.err('unterminated string');
      const c = t.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return undefined;
      }
      if (c < 0x20) return this.err('control character in a string');
      if (c !== 0x5c /* \ */) {
        this.i++;
        continue;
      }
      const e = t.charCodeAt(this.i + 1);
      if (e === 0x75 /* u */) {
        if (!/^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) return this.err('bad `\\u` escape');
        this.i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        this.i += 2;
      } else return this.err('bad escape in a string');
    }
  }

  private literal(): string | undefined {
    for (const word of ['true', 'false', 'null']) {
      if (this.t.startsWith(word, this.i)) {
        this.i += word.length;
        return undefined;
      }
    }
    return this.err(this.i >= this.t.length ? 'unexpected end of input' : 'unexpected character');
  }

  /** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, then the rounding check. */
  private number(): string | undefined {
    const t = this.t;
    const start = this.i;
    if (t.charCodeAt(this.i) === 0x2d) this.i++;
    const intStart = this.i;
    if (t.charCodeAt(this.i) === 0x30) this.i++;
    else if (!this.digits()) return this.err('bad number');
    const intDigits = t.slice(intStart, this.i);
    let fracDigits = '';
    if (t.charCodeAt(this.i) === 0x2e /* . */) {
      this.i++;
      const f = this.i;
      if (!this.digits()) return this.err('bad number');
      fracDigits = t.slice(f, this.i);
    }
    let exp = 0;
    const e = t.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = t.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      const f = this.i;
      if (!this.digits()) return this.err('bad number');
      // huge exponents only need their magnitude: Number() of a long digit run is enough
      exp = Number(t.slice(f, this.i)) * (sign === 0x2d ? -1 : 1);
    }
    if (this.unsafe === undefined && !this.tooDeep) {
      const literal = t.slice(start, this.i);
      const why = rounding(literal, intDigits + fracDigits, exp - fracDigits.length);
      if (why !== undefined) this.unsafe = `\`${this.path(true)}\`: the number \`${clip(literal)}\` ${why}`;
    }
    return undefined;
  }

  private digits(): boolean {
    const t = this.t;
    const from = this.i;
    while (this.i < t.length && t.charCodeAt(this.i) >= 0x30 && t.charCodeAt(this.i) <= 0x39) this.i++;
    return this.i > from;
  }

  /** Where the scanner stands, e.g. `context.n` or `entities[3].attrs`; `(body)` at the top. */
  private path(withLeaf: boolean): string {
    let p = '';
    this.stack.forEach((f, n) => {
      if (!withLeaf && n === this.stack.length - 1) return;
      p += f.array ? `[${f.index}]` : /^[A-Za-z_$][\w$]*$/.test(f.key) ? `${p === '' ? '' : '.'}${f.key}` : `[${JSON.stringify(clip(f.key))}]`;
    });
    return p === '' ? '(body)' : p;
  }

  private err(what: string): string {
    return `${what} at position ${this.i}`;
  }
}

/**
 * Why `JSON.parse` would not give back the number `literal` denotes, or undefined when it
 * would. The value is `digits × 10^exp` (digits without sign or point).
 */
function rounding(literal: string, digits: string, exp: number): string | undefined {
  let d = digits.replace(/^0+/, '');
  if (d === '') return undefined; // zero, whatever its exponent
  const trailing = d.length - d.replace(/0+$/, '').length;
  d = d.slice(0, d.length - trailing);
  exp += trailing;
  const parsed = Number(literal);
  if (!Number.isFinite(parsed)) return 'is out of range (it would become infinite)';
  if (exp < 0) {
    // not an integer: fine unless JSON.parse would make it one
    return Number.isInteger(parsed) ? `is not an integer but would be rounded to \`${parsed}\`` : undefined;
  }
  // an integer: exact in a double only within ±(2^53−1); 17+ digits is already past that
  if (d.length + exp > 16 || BigInt(d) * 10n ** BigInt(exp) > MAX_SAFE) return 'is an integer outside ±(2^53−1) and would be rounded';
  return undefined;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
