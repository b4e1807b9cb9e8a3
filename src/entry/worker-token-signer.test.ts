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

describe('DPoP proof signatures checked in the signing worker (Node)', async () => {
  const { base64url, exportJWK, generateKeyPair, SignJWT } = await import('jose');
  const { agentProofs, joseAgentProofs, usualDpop } = await import('../adapters/jose/agent-proofs.ts');
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const other = await generateKeyPair('EdDSA', { extractable: true });
  const pub = { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x as string };
  const now = Math.floor(Date.now() / 1000);
  const claims = { htm: 'POST', htu: 'http://k/v1/sessions/s/authorize', ath: 'x', jti: 'j1', iat: now };
  const usual = { alg: 'EdDSA', typ: 'dpop+jwt', jwk: pub };
  const sign = (header: Record<string, unknown>, payload: Record<string, unknown> = claims, key = privateKey) => new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);

  it('gives WebCrypto’s answer for valid, forged, altered and unusual proofs, many in one turn', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    const offloaded = agentProofs(worker.verifyEd25519);
    try {
      const valid = await sign(usual);
      const [h, , s] = valid.split('.') as [string, string, string];
      const sig = base64url.decode(s);
      sig[0] = (sig[0] as number) ^ 1;
      const nonPoint = base64url.encode(new Uint8Array(32).fill(0xff));
      const cases = [
        valid,
        await sign({ ...usual, jwk: { ...pub, x: (await exportJWK(other.publicKey)).x } }), // signed by another key than its jwk
        await sign(usual, undefined, other.privateKey),
        `${h}.${base64url.encode(JSON.stringify({ ...claims, jti: 'j2' }))}.${s}`,
        `${h}.${valid.split('.')[1]}.${base64url.encode(sig)}`,
        await sign({ ...usual, jwk: { ...pub, x: nonPoint } }),
        await sign({ ...usual, typ: 'application/dpop+jwt' }), // unusual: jose's path
        await sign(usual, { ...claims, iat: String(now) }),
        'a.b',
      ];
      // asked together (one message), and again one by one
      const together = await Promise.all(cases.map((p) => offloaded.verifyDpop(p)));
      for (const [i, p] of cases.entries()) {
        const expected = await joseAgentProofs.verifyDpop(p);
        expect(together[i], p).toEqual(expected);
        expect(await offloaded.verifyDpop(p), p).toEqual(expected);
      }
      expect(together[0]).not.toBeNull();
      expect(together.slice(1, 6)).toEqual([null, null, null, null, null]);
      // the usual proofs were checked in the worker: it answers true/false itself
      expect(await worker.verifyEd25519(pub.x, `${h}.${valid.split('.')[1]}`, s)).toBe(true);
      expect(await worker.verifyEd25519(pub.x, `${h}.${valid.split('.')[1]}`, base64url.encode(sig))).toBe(false);
      expect(await usualDpop(valid, worker.verifyEd25519)).toEqual(await usualDpop(valid));
    } finally {
      await worker.close();
    }
  });

  it('leaves the check to WebCrypto when the worker is gone or owes the last batch', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const worker = new WorkerTokenSigner(seed, new JoseTokenSigner(seed));
    const valid = await sign(usual);
    const [h, p, s] = valid.split('.') as [string, string, string];
    const first = worker.verifyEd25519(pub.x, `${h}.${p}`, s);
    await new Promise((r) => setImmediate(r)); // the first batch is sent; the worker owes it
    const second = worker.verifyEd25519(pub.x, `${h}.${p}`, s);
    const [a, b] = await Promise.all([first, second]);
    expect(a === true && (b === true || b === undefined)).toBe(true);
    await worker.close();
    expect(await worker.verifyEd25519(pub.x, `${h}.${p}`, s)).toBeUndefined();
    expect(await agentProofs(worker.verifyEd25519).verifyDpop(valid)).toEqual(await joseAgentProofs.verifyDpop(valid));
  });
});
