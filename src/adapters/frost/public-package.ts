/**
 * The public package format of `kee-frost` (crates/frost/src/wire.rs), big-endian:
 * t u16 || n u16 || group key (32) || n x (identifier u16 || verifying share (32)).
 */
import { DomainError } from '../../kernel/errors.ts';

export type FrostPublic = {
  threshold: number;
  groupKey: Uint8Array;
  /** Verifying shares by identifier, ascending. */
  verifyingShares: Map<number, Uint8Array>;
};

export function parsePublicPackage(bytes: Uint8Array): FrostPublic {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 36) throw new DomainError('INVALID_INPUT', `public package is ${bytes.length} bytes, want at least 36`);
  const threshold = view.getUint16(0);
  const n = view.getUint16(2);
  if (bytes.length !== 36 + n * 34) throw new DomainError('INVALID_INPUT', `public package is ${bytes.length} bytes, want ${36 + n * 34} for ${n} participants`);
  const verifyingShares = new Map<number, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const at = 36 + i * 34;
    verifyingShares.set(view.getUint16(at), bytes.slice(at + 2, at + 34));
  }
  return { threshold, groupKey: bytes.slice(4, 36), verifyingShares };
}

export function encodePublicPackage(p: FrostPublic): Uint8Array {
  const ids = [...p.verifyingShares.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(36 + ids.length * 34);
  const view = new DataView(out.buffer);
  view.setUint16(0, p.threshold);
  view.setUint16(2, ids.length);
  out.set(p.groupKey, 4);
  ids.forEach((id, i) => {
    view.setUint16(36 + i * 34, id);
    out.set(p.verifyingShares.get(id) as Uint8Array, 38 + i * 34);
  });
  return out;
}
