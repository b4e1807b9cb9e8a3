import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanJson } from './strict-json.ts';

/** JSON values whose numbers `JSON.parse` gives back exactly: every double but integers past 2^53. */
const exactNumber = fc.oneof(fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d)));
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.boolean(), exactNumber, fc.string({ unit: 'binary' }), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 }),
}));

const parses = (t: string) => {
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
};

describe('scanJson', () => {
  it('accepts JSON.stringify of any JSON value whose numbers JSON.parse keeps exactly', () => {
    fc.assert(
      fc.property(jsonValue, fc.boolean(), (v, pretty) => {
        expect(scanJson(JSON.stringify(v, null, pretty ? 2 : undefined))).toEqual({ ok: true });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an injected duplicate key, at any depth', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), jsonValue, { minKeys: 1, maxKeys: 4 }),
        jsonValue,
        fc.nat(),
        fc.array(fc.constantFrom('array', 'object'), { maxLength: 6 }),
        fc.boolean(),
        (obj, extra, pick, wrappers, escaped) => {
          const keys = Object.keys(obj);
          const key = keys[pick % keys.length] as string;
          // the repeated key spelled with \u escapes still names the same key
          const spelled = escaped ? `"${key.split('').map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(key);
          let text = `${JSON.stringify(obj).slice(0, -1)},${spelled}:${JSON.stringify(extra)}}`;
          for (const w of wrappers) text = w === 'array' ? `[1,${text}]` : `{"x":${text}}`;
          expect(parses(text)).toBe(true);
          const scan = scanJson(text);
          expect(scan.ok).toBe(false);
          if (!scan.ok) expect(scan.kind).toBe('duplicate-key');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with JSON.parse on validity, for JSON texts with one character inserted or deleted', () => {
    const alphabet = fc.constantFrom(...'{}[],:"\\ \t\n0123456789.eE+-tfnulrsaxu\u0000\u001f\u2028\uFEFF'.split(''));
    fc.assert(
      fc.property(jsonValue, fc.nat(), alphabet, fc.boolean(), (v, at, ch, del) => {
        const t = JSON.stringify(v);
        const i = at % (t.length + 1);
        const mutated = del ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + ch + t.slice(i);
        const scan = scanJson(mutated);
        expect(!(!scan.ok && scan.kind === 'syntax')).toBe(parses(mutated));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses any double JSON.parse gives as an integer past ±(2^53−1)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => Number.isInteger(d) && !Number.isSafeInteger(d)), (d) => {
        const scan = scanJson(`{"n":[${JSON.stringify(d)}]}`);
        expect(scan).toMatchObject({ ok: false, kind: 'unsafe-number' });
      }),
    );
  });

  it.each([
    ['9007199254740993', 'is an integer outside'],
    ['-9007199254740992', 'is an integer outside'],
    ['1e20', 'is an integer outside'],
    ['12345678901234567890123', 'is an integer outside'],
    ['9007199254740992.5', 'would be rounded to `9007199254740992`'],
    ['1.0000000000000000001', 'would be rounded to `1`'],
    ['1e-400', 'would be rounded to `0`'],
    ['1e400', 'would become infinite'],
    ['-1e99999999999999999999', 'would become infinite'],
  ])('refuses the number %s, naming it and its path', (n, why) => {
    const scan = scanJson(`{"context":{"limit":${n}},"entities":[{"attrs":{"a b":1}}]}`);
    expect(scan).toMatchObject({ ok: false, kind: 'unsafe-number' });
    if (!scan.ok) expect(scan.message.startsWith(`\`context.limit\`: the number \`${n}\` `)).toBe(true);
    if (!scan.ok) expect(scan.message).toContain(why);
  });

  it('names array positions and odd keys in the path', () => {
    expect(scanJson('{"entities":[{"attrs":{"a b":[0,1e300]}}]}')).toMatchObject({ message: '`entities[0].attrs["a b"][1]`: the number `1e300` is an integer outside ±(2^53−1) and would be rounded' });
    expect(scanJson('{"e":[{"a":1,"b":{"c":1,"c":2}}]}')).toMatchObject({ kind: 'duplicate-key', message: 'duplicate key `c` in `e[0].b`' });
    expect(scanJson('{"k":1,"\\u006b":2}')).toMatchObject({ kind: 'duplicate-key', message: 'duplicate key `k` in `(body)`' });
  });

  it.each(['9007199254740991', '-9007199254740991', '0', '-0', '0e99999999999', '1.5', '1e15', '5e-324', '1.7976931348623157e-308', '100.000', '0.1e1'])('accepts the exact number %s', (n) => {
    expect(scanJson(`[${n}]`)).toEqual({ ok: true });
  });

  it('a syntax error wins over a duplicate key or a rounded number, as JSON.parse sees it', () => {
    expect(scanJson('{"a":1,"a":1e400')).toMatchObject({ kind: 'syntax' });
    expect(scanJson('{"a":1,"a":2} {')).toMatchObject({ kind: 'syntax' });
  });

  it('scans hostile nesting without recursion, and refuses nesting past maxDepth', () => {
    expect(scanJson('['.repeat(4 * 1024 * 1024), 64)).toMatchObject({ kind: 'syntax' });
    expect(scanJson(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toEqual({ ok: true });
    expect(scanJson(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 64)).toEqual({ ok: false, kind: 'too-deep', message: 'nested deeper than 64 levels' });
    expect(scanJson(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toEqual({ ok: true });
    expect(scanJson(`${'['.repeat(65)}${']'.repeat(65)}`, 64)).toMatchObject({ kind: 'too-deep' });
    expect(scanJson(`${'['.repeat(65)}]]`, 64)).toMatchObject({ kind: 'syntax' });
  });
});
