import { describe, expect, it } from 'vitest';
import { makePublishers } from '../../../test/support/cap-profile.ts';
import { addSignature, base64url, fromBase64url, joseJwsVerifier } from './jws.ts';

describe('jose JWS adapter', () => {
  it('adds signatures one publisher after another and verifies each with its raw key', async () => {
    const [a, b] = await makePublishers(2);
    const payload = new TextEncoder().encode('{"x":1}');
    const one = await addSignature(null, payload, a!.seed, a!.kid);
    const two = await addSignature(one, payload, b!.seed, b!.kid);
    expect(two.payload).toBe(base64url(payload));
    expect(two.signatures.map((s) => joseJwsVerifier.protectedHeader(s.protected))).toEqual([{ alg: 'EdDSA', kid: a!.kid }, { alg: 'EdDSA', kid: b!.kid }]);
    const flat = (i: number) => ({ payload: two.payload, ...two.signatures[i]! });
    expect(await joseJwsVerifier.verify(flat(0), a!.publicKey)).toEqual({ valid: true, payload });
    expect((await joseJwsVerifier.verify(flat(0), b!.publicKey)).valid).toBe(false);
    await expect(addSignature(two, payload, a!.seed, a!.kid)).rejects.toThrow(/already carries a signature/);
    await expect(addSignature(two, new TextEncoder().encode('{"x":2}'), a!.seed, a!.kid)).rejects.toThrow(/differs/);
  });

  it('decodes only protected headers that are base64url JSON objects; base64url round-trips', () => {
    expect(joseJwsVerifier.protectedHeader('not base64!')).toBeNull();
    expect(joseJwsVerifier.protectedHeader(base64url(new TextEncoder().encode('[1]')))).toBeNull();
    const bytes = Uint8Array.from({ length: 257 }, (_, i) => i % 256);
    for (let n = 0; n < 8; n++) expect(fromBase64url(base64url(bytes.subarray(0, n * 37)))).toEqual(bytes.subarray(0, n * 37));
    expect(fromBase64url('a')).toBeNull();
    expect(fromBase64url('ab+/')).toBeNull();
  });
});
