import { describe, expect, it } from 'vitest';
import { accepts } from './accept.ts';

const ACD = 'application/soos-acd+json';

describe('accepts (RFC 9110 §12.5.1)', () => {
  it('no Accept, the type, its type/* or */* admit it; other types do not', () => {
    for (const h of [undefined, '', ACD, 'application/*', '*/*', 'APPLICATION/SOOS-ACD+JSON', `text/html, ${ACD};q=0.1`, 'application/json;q=0.9, */*;q=0.1']) expect(accepts(h, ACD), String(h)).toBe(true);
    for (const h of ['text/html', 'application/json', 'text/*', 'application/soos-acd', 'garbage', 'application/jsonsoos-acd+json']) expect(accepts(h, ACD), h).toBe(false);
  });

  it('q=0 refuses, and the most specific matching range decides', () => {
    expect(accepts(`${ACD};q=0`, ACD)).toBe(false);
    expect(accepts(`${ACD};q=0, application/*, */*`, ACD)).toBe(false);
    expect(accepts(`application/*;q=0, ${ACD}`, ACD)).toBe(true);
    expect(accepts('application/*;q=0, */*', ACD)).toBe(false);
    expect(accepts(`${ACD};q=nonsense`, ACD)).toBe(false);
  });
});
