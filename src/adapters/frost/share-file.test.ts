import { describe, expect, it } from 'vitest';
import { loadKeeWasm } from '../../../test/support/wasm.ts';
import { trustedDealerKeygen } from './ceremony.ts';
import { openShare, parseKek, sealShare } from './share-file.ts';

const wasm = loadKeeWasm();
const kek = new Uint8Array(32).fill(7);
const other = new Uint8Array(32).fill(8);

function exported(): Uint8Array {
  const { participants } = trustedDealerKeygen(wasm);
  const r = participants[1]!.handle.exportShare();
  if (r.type !== 'success') throw new Error(r.error.message);
  return r.value;
}

describe('share files (AES-256-GCM under the KEK)', () => {
  const share = exported();

  it('round-trips, and the file shows no share bytes', async () => {
    const text = await sealShare(share, kek);
    const f = JSON.parse(text);
    expect(f).toMatchObject({ format: 'kee-frost-share/1', participant: 2 });
    expect(text).not.toContain(Buffer.from(share.slice(3, 35)).toString('hex'));
    const opened = await openShare(text, kek, 'share-2.json');
    expect(opened.participant).toBe(2);
    expect(opened.share).toEqual(share);
    // the IV is fresh each time
    expect(JSON.parse(await sealShare(share, kek)).iv).not.toBe(f.iv);
  });

  it('a wrong KEK is a clear error', async () => {
    const text = await sealShare(share, kek);
    await expect(openShare(text, other, 'share-2.json')).rejects.toThrow('share file `share-2.json` does not open: wrong key-encryption key (KEE_SHARE_KEK), or the file was modified');
  });

  it('a tampered ciphertext, or a header moved to another participant or group, does not open', async () => {
    const f = JSON.parse(await sealShare(share, kek));
    const flip = (hex: string, at: number) => hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
    for (const bad of [
      { ...f, ciphertext: flip(f.ciphertext, 40) },
      { ...f, participant: 3 },
      { ...f, group_key: flip(f.group_key, 0) },
      { ...f, iv: flip(f.iv, 0) },
    ]) {
      await expect(openShare(JSON.stringify(bad), kek, 'x')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('does not open') });
    }
  });

  it('not a share file: clear errors', async () => {
    await expect(openShare('{', kek, 'x')).rejects.toThrow('share file `x` is not valid JSON');
    await expect(openShare('{"format":"other"}', kek, 'x')).rejects.toThrow('share file `x` is not a kee-frost-share/1 file');
  });

  it('parses a KEK from 64 hex characters only', () => {
    expect(parseKek(`${'Ab'.repeat(32)}\n`, 'KEE_SHARE_KEK')).toEqual(new Uint8Array(32).fill(0xab));
    expect(() => parseKek('abc', 'KEE_SHARE_KEK')).toThrow('KEE_SHARE_KEK must be 64 hex characters (a 256-bit key-encryption key)');
    expect(() => parseKek('00'.repeat(16), 'KEE_SHARE_KEK')).toThrow();
  });
});
