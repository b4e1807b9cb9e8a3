/**
 * `kee party-registry sign | verify` in process (push is played by the Appendix A scenario against
 * a kernel process): signatures added one publisher at a time, a missing `kia_id` filled in from
 * the key, and `verify` against the keys given: 1 of 3 and a tampered payload refused (exit 1).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../src/entry/cli-party-registry.ts';
import { createPublisherKey } from '../src/entry/publisher-key-files.ts';
import { toHex } from '../src/kernel/hex.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-cli-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function kee(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('kee party-registry', () => {
  it('signs with two publishers and verifies against the keys given; one signature or a changed payload is refused', async () => {
    const pubs = await Promise.all([1, 2, 3].map((i) => createPublisherKey(join(dir, `p${i}`))));
    const keys = pubs.map((p) => toHex(p.publicKey)).join(',');
    const key = 'ab'.repeat(32);
    const body = join(dir, 'registry.json');
    const signed = join(dir, 'registry.jws.json');
    writeFileSync(body, JSON.stringify({ registry_type: 'kia-party-registry', registry_id: 'dev', version: 1, issued_at: '2026-12-06T00:00:00Z', kernels: [{ group_public_key: key }], resource_providers: [] }));
    expect((await kee('sign', '--key', pubs[0]!.keyFile, '--body', body, '--out', signed)).code).toBe(0);
    const one = await kee('verify', signed, '--publisher-keys', keys);
    expect(one).toMatchObject({ code: 1, err: 'kee party-registry: refused: PARTY_REGISTRY_SIGNATURES_INSUFFICIENT: 1 of the 3 pinned publishers signed the party registry, 2 are required' });
    expect((await kee('sign', '--key', pubs[2]!.keyFile, '--in', signed, '--out', signed)).code).toBe(0);
    const ok = await kee('verify', signed, '--publisher-keys', keys);
    expect(ok.code, ok.err).toBe(0);
    const kiaId = toHex(sha256(Buffer.from(key, 'hex')));
    expect(ok.out).toContain(`kernel ${kiaId}: group key ${key}`);
    expect(ok.out).toMatch(/signed by 2 of 3 pinned publishers/);

    const jws = JSON.parse(readFileSync(signed, 'utf8')) as { payload: string };
    const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
    expect(payload.kernels).toEqual([{ group_public_key: key, kia_id: kiaId }]);
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...jws, payload: Buffer.from(JSON.stringify({ ...payload, version: 9 })).toString('base64url') }));
    expect((await kee('verify', tampered, '--publisher-keys', keys)).code).toBe(1);
    // a body a verifier would refuse is not signed
    writeFileSync(body, JSON.stringify({ registry_type: 'kia-party-registry', registry_id: 'dev', version: 1, issued_at: '2026-12-06T00:00:00Z', kernels: [{ kia_id: '00'.repeat(32), group_public_key: key }], resource_providers: [] }));
    expect(await kee('sign', '--key', pubs[1]!.keyFile, '--body', body, '--out', join(dir, 'x.json'))).toMatchObject({ code: 1, err: 'kee party-registry: refused: kernels[0].kia_id is not the SHA-256 of its group_public_key' });
  });
});
