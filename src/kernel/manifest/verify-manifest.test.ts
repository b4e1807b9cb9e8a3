import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../../test/support/harness.ts';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { JsMerkle } from '../../adapters/memory/js-merkle.ts';
import { canonicalJson } from '../jcs.ts';
import type { GecManifest } from './manifest.ts';
import { verifyManifestText } from './verify-manifest.ts';

async function issued(): Promise<{ text: string; manifest: GecManifest }> {
  const h = makeHarness();
  const text = await h.kernel.manifest();
  return { text, manifest: JSON.parse(text) as GecManifest };
}

const flipFirstByte = (hex: string) => (parseInt(hex.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0') + hex.slice(2);
const deps = { merkle: new JsMerkle(), verifier: ed25519Verifier };

describe('verifyManifestText (offline, with the JS canonicalizer here, the Rust one in the kernel)', () => {
  it('accepts an issued manifest and returns its hash-lock', async () => {
    const { text, manifest } = await issued();
    const r = verifyManifestText(text, deps);
    expect(r.ok).toBe(true);
    if (r.ok) {
      const { manifest_signature: _s, ...body } = manifest;
      expect(r.lock).toBe(Buffer.from(deps.merkle.sha256(new TextEncoder().encode(canonicalJson(body)))).toString('hex'));
      expect(r.manifest).toEqual(manifest);
    }
  });

  const edit = (m: GecManifest, f: (m: GecManifest) => void) => {
    const copy = structuredClone(m);
    f(copy);
    return canonicalJson(copy);
  };
  const cases: [string, (text: string, m: GecManifest) => string, string][] = [
    ['not JSON', (t) => t.slice(1), 'not valid JSON'],
    ['an array', () => '[]', 'not a JSON object'],
    ['no signature', (_t, m) => edit(m, (x) => delete (x as Partial<GecManifest>).manifest_signature), 'no Ed25519 `manifest_signature`'],
    ['no key', (_t, m) => edit(m, (x) => (x.signing_config.public_key = 'zz')), 'no 32-byte'],
    ['not canonical', (t) => ` ${t}`, 'canonical (JCS) form'],
    ['a field changed', (_t, m) => edit(m, (x) => (x.epoch += 1)), 'does not verify'],
    ['another key declared', (_t, m) => edit(m, (x) => (x.signing_config.public_key = '11'.repeat(32))), 'is not the SHA-256 of the declared key'],
    ['signature bytes changed', (_t, m) => edit(m, (x) => (x.manifest_signature.signature = flipFirstByte(x.manifest_signature.signature))), 'does not verify'],
  ];
  for (const [name, tamper, reason] of cases) {
    it(`refuses a manifest with ${name}`, async () => {
      const { text, manifest } = await issued();
      const r = verifyManifestText(tamper(text, manifest), deps);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    });
  }
});
