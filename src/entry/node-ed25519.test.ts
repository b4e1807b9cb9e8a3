/** node:crypto Ed25519 for coordinator request signatures: interchangeable with WebCrypto's, same refusals. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { CoordinatorVerifier, coordinatorHeaders, coordinatorPublicKey, webCryptoEd25519 } from '../adapters/frost/coordinator-auth.ts';
import { nodeEd25519 } from './node-ed25519.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('nodeEd25519', () => {
  const seed = ed25519.utils.randomSecretKey();
  const pub = coordinatorPublicKey(seed);

  it('makes the same (deterministic) signatures as WebCrypto and @noble/curves, and each verifies the other', async () => {
    for (const text of [utf8(''), utf8('kee-frost-sidecar/1\nPOST\n/v1/frost/round1'), new Uint8Array(5000).fill(7)]) {
      const mine = await nodeEd25519.signer(seed)(text);
      expect(mine).toEqual(await webCryptoEd25519.signer(seed)(text));
      expect(mine).toEqual(ed25519.sign(text, seed));
      expect(await webCryptoEd25519.verifier(pub)(mine, text)).toBe(true);
      expect(await nodeEd25519.verifier(pub)(mine, text)).toBe(true);
    }
  });

  it('refuses an altered text, another key, a truncated signature; bad key sizes are INVALID_INPUT', async () => {
    const text = utf8('request');
    const sig = await nodeEd25519.signer(seed)(text);
    const verify = nodeEd25519.verifier(pub);
    expect(await verify(sig, utf8('requesT'))).toBe(false);
    expect(await nodeEd25519.verifier(coordinatorPublicKey(ed25519.utils.randomSecretKey()))(sig, text)).toBe(false);
    expect(await verify(sig.subarray(0, 63), text)).toBe(false);
    const flipped = sig.slice();
    flipped[10] = (flipped[10] as number) ^ 1;
    expect(await verify(flipped, text)).toBe(false);
    expect(() => nodeEd25519.signer(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => nodeEd25519.verifier(new Uint8Array(33))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('a CoordinatorVerifier over node:crypto accepts the coordinator once and refuses a replay', async () => {
    const v = new CoordinatorVerifier(pub, 1, Date.now, nodeEd25519);
    const body = utf8('{"session_id":"01"}');
    const h = await coordinatorHeaders(nodeEd25519.signer(seed), { method: 'POST', path: '/v1/frost/round1', participant: 1, body });
    const req = { method: 'POST', path: '/v1/frost/round1', headers: (n: string) => h[n], body };
    await expect(v.verify(req)).resolves.toBeUndefined();
    await expect(v.verify(req)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'replayed request (its nonce was already used)' });
    await expect(v.verify({ ...req, path: '/v1/frost/round2' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
