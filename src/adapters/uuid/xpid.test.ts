import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { deriveAgentXpid, deriveSubAgentXpid, deriveXpid, uuidXpidDeriver } from './xpid.ts';

const hex = (s: string) => bytesToHex(sha256(utf8ToBytes(s)));

describe('XPID derivations (digest §4.3, Appendix T vectors)', () => {
  it('KEE §10 derive_xpid', () => {
    expect(
      deriveXpid({
        initiating_kia_id: 'kia:myauberge.k.k.:booking-agent-01',
        responding_kia_id: 'kia:ponyhouse.farm:supplier-agent-01',
        initiated_at: '2026-07-20T09:14:33Z',
        initiating_nonce: 'a3f8c2e1d4b7',
        responding_nonce: 'b1e9d3f6a2c4',
      }),
    ).toBe('4e626324-7648-54c1-b97a-74965e359449');
  });

  it('KIA agent XPID, v1.0 and v1.1', () => {
    const fingerprint = hex('example-ed25519-public-key');
    const party = hex('{"party":"example"}');
    expect(fingerprint).toBe('5a2bf1b8ee9d321557c9e0c8b6184e1c81d29f36c9c4e3cf9d3ec459d2285050');
    expect(party).toBe('c327c38e3378dd56daea95e5dff4b55c7b796853f579da26c3e822c378502d0e');
    expect(deriveAgentXpid(fingerprint, party, '1.0')).toBe('fe4c1048-4906-5146-b705-3e5c005b8327');
    expect(deriveAgentXpid(fingerprint, party, '1.1')).toBe('93605d78-e08c-5a98-a3b2-0c3597bb9f90');
    expect(deriveAgentXpid(fingerprint, party)).toBe('93605d78-e08c-5a98-a3b2-0c3597bb9f90');
  });

  it('refuses agent XPID inputs that are not hex SHA-256 and keeps the families apart', () => {
    expect(() => deriveAgentXpid('ABC', hex('x'))).toThrow(/fingerprint/);
    expect(() => deriveAgentXpid(hex('x'), hex('x').toUpperCase())).toThrow(/registry entry hash/);
    const parent = deriveAgentXpid(hex('k'), hex('p'));
    const child = deriveSubAgentXpid(parent, 'sacr-1');
    expect(child).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(child).not.toBe(deriveSubAgentXpid(parent, 'sacr-2'));
    expect(deriveSubAgentXpid(parent, 'sacr-1')).toBe(child);
  });

  it('the port answers as the functions do, for the configured version', () => {
    const port = uuidXpidDeriver('1.0');
    expect(port.version).toBe('1.0');
    expect(port.deriveAgentXpid(hex('example-ed25519-public-key'), hex('{"party":"example"}'))).toBe('fe4c1048-4906-5146-b705-3e5c005b8327');
    expect(uuidXpidDeriver().deriveAgentXpid(hex('example-ed25519-public-key'), hex('{"party":"example"}'))).toBe('93605d78-e08c-5a98-a3b2-0c3597bb9f90');
  });
});
