/**
 * RFC 9591 Appendix E.1 FROST(Ed25519, SHA-512) vectors through the WASM build: the full check
 * in `kee-frost` (shares, group key, hedged nonces, commitments, binding factors, signature
 * shares, signature), then the vector's signature shares aggregated by `frostAggregate`.
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { encodePublicPackage } from '../src/adapters/frost/public-package.ts';
import { fromHex, toHex } from '../src/kernel/hex.ts';
import v from './vectors/frost-ed25519-rfc9591.json' with { type: 'json' };
import { loadKeeWasm } from './support/wasm.ts';

const wasm = loadKeeWasm();
const json = readFileSync(new URL('./vectors/frost-ed25519-rfc9591.json', import.meta.url), 'utf8');
const hex = (s: string) => fromHex(s) as Uint8Array;
const scalarLE = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);

describe('RFC 9591 FROST(Ed25519, SHA-512) vectors through WASM', () => {
  it('pass the full check in kee-frost', () => {
    expect(wasm.frostCheckVectors(json)).toEqual({ type: 'success', value: 20 });
  });

  it('fail when any value is changed, naming it', () => {
    const bad = json.replace(v.round_one_outputs.outputs[1]!.binding_nonce, '00'.repeat(32));
    const r = wasm.frostCheckVectors(bad);
    expect(r.type).toBe('failure');
    if (r.type === 'failure') expect(r.error.message).toContain('binding nonce of participant 3');
  });

  it('aggregate the vector signature shares into the vector signature', () => {
    const verifyingShares = new Map(v.inputs.participant_shares.map((s) => [s.identifier, ed25519.Point.BASE.multiply(scalarLE(hex(s.participant_share))).toBytes()]));
    const groupKey = hex(v.inputs.group_public_key);
    const pkg = encodePublicPackage({ threshold: 2, groupKey, verifyingShares });
    const outs = v.round_one_outputs.outputs;
    const commitments = new Uint8Array(outs.flatMap((o) => [...hex(o.hiding_nonce_commitment), ...hex(o.binding_nonce_commitment)]));
    const shares = new Uint8Array(v.round_two_outputs.outputs.flatMap((o) => [...hex(o.sig_share)]));
    const ids = Uint16Array.from(outs.map((o) => o.identifier));
    const msg = hex(v.inputs.message);
    const r = wasm.frostAggregate(pkg, msg, ids, commitments, shares);
    expect(r.type).toBe('success');
    if (r.type !== 'success') return;
    expect(toHex(r.value)).toBe(v.final_output.sig);
    expect(wasm.frostVerify(groupKey, msg, r.value)).toEqual({ type: 'success', value: true });
    expect(ed25519.verify(r.value, msg, groupKey)).toBe(true);
    // a corrupted share from participant 3 is named
    shares[40] = (shares[40] as number) ^ 4;
    expect(wasm.frostAggregate(pkg, msg, ids, commitments, shares)).toMatchObject({ type: 'failure', error: { code: 'INVALID_SHARE', culprits: [3] } });
  });
});
