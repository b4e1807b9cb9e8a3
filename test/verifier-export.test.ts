import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** `kee/verifier` is a public entry point: the same file in package.json and deno.json, importable by its name. */
describe('kee/verifier export', () => {
  it('package.json and deno.json export the same verifier entry, and it resolves by name', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const deno = JSON.parse(readFileSync('deno.json', 'utf8'));
    expect(pkg.exports['./verifier']).toBe('./src/verifier/index.ts');
    expect(deno.exports['./verifier']).toBe(pkg.exports['./verifier']);
    expect(deno.version).toBe(pkg.version);
    const mod = await import('kee/verifier');
    expect(Object.keys(mod).sort()).toEqual(['ACD_MEDIA_TYPE', 'AcdRecordCache', 'CREDENTIAL_TTL_SECONDS', 'CREDENTIAL_TYP', 'acdRequirementsFromRegistry', 'createCredentialVerifier', 'fetchAcdRecord', 'fetchPartyRegistry', 'intentFingerprint', 'keeCredential', 'kernelKeyFromRegistry', 'providerEntry', 'reportAcdDecision', 'validateAcdRecord', 'verifyPartyRegistry']);
  });

  it('imports only Web-API-safe modules: its own files, jose, @noble/hashes, hono types, the kernel JCS and the pure party-registry checks', () => {
    const files = ['index.ts', 'acd.ts', 'intent.ts', 'jwks-cache.ts', 'revocation-feed.ts', 'verify-credential.ts', 'hono.ts', 'party-registry.ts'];
    for (const f of files) {
      const text = readFileSync(`src/verifier/${f}`, 'utf8');
      const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
      for (const s of specs) expect(['jose', 'hono', '@noble/hashes/blake2.js', '../kernel/jcs.ts', '../kernel/party-registry/body.ts', '../kernel/party-registry/verify.ts'].includes(s) || /^\.\/[a-z-]+\.ts$/.test(s), `${f} imports ${s}`).toBe(true);
    }
    // the party-registry kernel files the verifier reaches import only types, hex, JCS and the publisher-signature counter
    for (const f of ['party-registry/body.ts', 'party-registry/verify.ts', 'cap-profile/signatures.ts']) {
      const text = readFileSync(`src/kernel/${f}`, 'utf8');
      const values = [...text.matchAll(/^\s*import\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
      for (const s of values) expect(['./body.ts', '../hex.ts', '../jcs.ts', '../cap-profile/signatures.ts'].includes(s), `kernel/${f} imports ${s}`).toBe(true);
    }
  });
});
