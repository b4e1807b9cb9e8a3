import { expect, it } from 'vitest';
import { parsePublisherKeys } from './publisher-keys.ts';

const hex = (b: number) => b.toString(16).padStart(2, '0').repeat(32);
const b64 = (b: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

it('reads hex and base64url keys separated by commas, spaces or lines, with comments', () => {
  const keys = parsePublisherKeys(`# publishers\n${hex(1)}, ${b64(2)}\n${hex(3).toUpperCase()} # operator\n`);
  expect(keys.map((k) => k[0])).toEqual([1, 2, 3]);
  expect(keys.every((k) => k.length === 32)).toBe(true);
});

it('names an entry that is not a 32-byte key', () => {
  expect(() => parsePublisherKeys(`${hex(1)},abc`)).toThrow(/publisher key 2 `abc…`/);
  expect(() => parsePublisherKeys(hex(1).slice(2))).toThrow(/publisher key 1/);
});
