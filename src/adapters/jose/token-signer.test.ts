import { describe, expect, it } from 'vitest';
import { JoseTokenSigner } from './token-signer.ts';

describe('JoseTokenSigner.verify', () => {
  it('a token verified once (kept) still verifies; its altered signature, another typ or another key does not', async () => {
    const signer = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const token = await signer.sign('kee-session+jwt', { sid: 's1', exp: 2 });
    expect(await signer.verify(token, 'kee-session+jwt')).toEqual({ sid: 's1', exp: 2 });
    const again = await signer.verify(token, 'kee-session+jwt');
    expect(again).toEqual({ sid: 's1', exp: 2 });
    (again as Record<string, unknown>).sid = 'changed';
    expect(await signer.verify(token, 'kee-session+jwt')).toEqual({ sid: 's1', exp: 2 });
    const [h, p, sig] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect(await signer.verify(flipped, 'kee-session+jwt')).toBeNull();
    expect(await signer.verify(token, 'kee-credential+jwt')).toBeNull();
    expect(await new JoseTokenSigner(JoseTokenSigner.generateSeed()).verify(token, 'kee-session+jwt')).toBeNull();
  });
});
