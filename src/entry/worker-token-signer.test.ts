import { describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { WorkerTokenSigner } from './worker-token-signer.ts';

describe('WorkerTokenSigner (credentials signed in a worker thread, Node)', () => {
  it('makes the compact JWS jose makes, byte for byte, for many signatures asked in one turn', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const jose = new JoseTokenSigner(seed);
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    try {
      const claims = Array.from({ length: 200 }, (_, i) => ({ iss: 'kee.local/x', sub: `agent-${i}`, jti: jose.newId(), n: i, nested: { é: 'ü', list: [1, 2.5, null, true] } }));
      const typs = ['kee-credential+jwt', 'kee-session+jwt'];
      const mine = await Promise.all(claims.map((c, i) => worker.sign(typs[i % 2] as string, c)));
      const theirs = await Promise.all(claims.map((c, i) => jose.sign(typs[i % 2] as string, c)));
      expect(mine).toEqual(theirs);
      for (const [i, token] of mine.entries()) expect(await jose.verify(token, typs[i % 2] as string)).toEqual(claims[i]);
      expect(worker.kid).toBe(jose.kid);
      expect(worker.jwk).toEqual(jose.jwk);
      expect(await worker.verify(theirs[0] as string, typs[0] as string)).toEqual(claims[0]);
    } finally {
      await worker.close();
    }
  });

  it('batches asked while the worker still owes one (signed by WebCrypto meanwhile) give the same tokens', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const jose = new JoseTokenSigner(seed);
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    try {
      const pending: Promise<string>[] = [];
      const claims = Array.from({ length: 6 }, (_, turn) => Array.from({ length: 30 }, (_, i) => ({ sub: `a-${turn}-${i}`, n: i })));
      for (const turn of claims) {
        for (const c of turn) pending.push(worker.sign('kee-credential+jwt', c));
        await new Promise((r) => setImmediate(r));
      }
      expect(await Promise.all(pending)).toEqual(await Promise.all(claims.flat().map((c) => jose.sign('kee-credential+jwt', c))));
    } finally {
      await worker.close();
    }
  });

  it('once the worker is gone, signs with jose: the same tokens, none left unsigned', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const jose = new JoseTokenSigner(seed);
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    await worker.close();
    const claims = { sub: 'a', n: 1 };
    expect(await worker.sign('kee-credential+jwt', claims)).toBe(await jose.sign('kee-credential+jwt', claims));
  });

  it('signatures waiting when the worker stops fail with SIGNER_FAILED', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    const pending = worker.sign('kee-credential+jwt', { sub: 'a' });
    const closed = worker.close();
    await expect(pending).rejects.toMatchObject({ code: 'SIGNER_FAILED' });
    await closed;
  });
});
