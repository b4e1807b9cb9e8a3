import fc from 'fast-check';
import { expect, it } from 'vitest';
import { fromHex, toHex } from './hex.ts';

it('round-trips bytes and refuses anything but lowercase hex', () => {
  fc.assert(fc.property(fc.uint8Array(), (b) => {
    expect(fromHex(toHex(b))).toEqual(b);
  }), { seed: 16 });
  expect(toHex(Uint8Array.of(0, 15, 16, 255))).toBe('000f10ff');
  expect(toHex(new Uint8Array(0))).toBe('');
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  expect(toHex(all)).toBe(Array.from(all, (b) => b.toString(16).padStart(2, '0')).join(''));
  for (const bad of ['0', 'AB', 'zz', '0g', ' 00', '00 ']) expect(fromHex(bad)).toBeNull();
});
