import fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { fromHex, randomHex, toHex } from './hex.ts';

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

it('cuts random ids from one CSPRNG call per 4 KiB, each byte used once', () => {
  // a recognisable stream instead of randomness: byte k of fill f is (31 f + 7 k) mod 256
  let fills = 0;
  const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(a: T): T => {
    const u = a as unknown as Uint8Array;
    for (let k = 0; k < u.length; k++) u[k] = (31 * fills + 7 * k) & 255;
    fills++;
    return a;
  });
  try {
    // drain what earlier tests left in the pool: the next refill starts the stream at byte 0
    while (fills === 0) randomHex(64);
    const first = fills - 1;
    const stream = (f: number, from: number, n: number) => toHex(Uint8Array.from({ length: n }, (_, i) => (31 * f + 7 * (from + i)) & 255));
    // the id that triggered the refill took bytes 0..63
    const ids = Array.from({ length: 252 }, () => randomHex(16));
    expect(fills).toBe(first + 1);
    ids.forEach((id, j) => expect(id).toBe(stream(first, 64 + 16 * j, 16)));
    // 4096 - 64 - 252 * 16 = 0 bytes left: the next id refills, and nothing is handed out twice
    expect(randomHex(8)).toBe(stream(first + 1, 0, 8));
    expect(fills).toBe(first + 2);
    expect(spy.mock.calls.every(([a]) => (a as Uint8Array).length === 4096)).toBe(true);
  } finally {
    spy.mockRestore();
    // hand out the rest of the test stream here, not to later tests
    for (let i = 0; i < 64; i++) randomHex(64);
  }
  for (const bad of [0, -1, 65, 1.5, Number.NaN]) expect(() => randomHex(bad)).toThrow(RangeError);
  const real = new Set(Array.from({ length: 2000 }, () => randomHex(8)));
  expect(real.size).toBe(2000);
  for (const id of real) expect(id).toMatch(/^[0-9a-f]{16}$/);
});
