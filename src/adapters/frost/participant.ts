/**
 * A FROST participant as the coordinator sees it: two async rounds (RFC 9591 §5.1, §5.2). The
 * in-process participant below runs over a WASM handle; a sidecar participant (HTTP, one per
 * signer host) implements the same interface.
 */
import { DomainError } from '../../kernel/errors.ts';
import type { WasmFrostFailure, WasmFrostParticipant, WasmFrostResult } from '../wasm/load.ts';

/** What round 2 signs: the message and every chosen signer's 64-byte commitments, in `ids` order. */
export type Round2Request = {
  sessionId: Uint8Array;
  message: Uint8Array;
  ids: readonly number[];
  /** ids.length x 64 bytes: hiding || binding nonce commitments (RFC 9591 encodings). */
  commitments: Uint8Array;
};

export interface Participant {
  /** Identifier 1..=n. */
  readonly id: number;
  /** Round 1: fresh nonces for `sessionId` (kept by the participant); returns 64-byte commitments. */
  round1(sessionId: Uint8Array): Promise<Uint8Array>;
  /** Round 2: the 32-byte signature share; consumes the session's nonces (a second call is refused). */
  round2(request: Round2Request): Promise<Uint8Array>;
  /** Drops the nonces of a session the coordinator abandoned. */
  cancel(sessionId: Uint8Array): Promise<void>;
  /**
   * A cheap reachability check without signing: resolves when the participant answers as
   * participant `id` of the group with key `groupKey`, rejects otherwise.
   */
  health?(groupKey: Uint8Array): Promise<void>;
}

/** The WASM failure as a DomainError; `INVALID_SHARE` and `NONCE_REUSE` are signer failures. */
export function frostError(f: WasmFrostFailure, what: string): DomainError {
  const code = f.error.code === 'INVALID_INPUT' ? 'INVALID_INPUT' : 'SIGNER_FAILED';
  return new DomainError(code, `${what}: ${f.error.message}`, { cause: f.error });
}

/** The value of a WASM result, or a DomainError. */
export function unwrap<T>(r: WasmFrostResult<T>, what: string): T {
  if (r.type === 'failure') throw frostError(r, what);
  return r.value;
}

/** A participant in this process, over a `kee-frost` WASM handle (the share stays in WASM memory). */
export class InProcessParticipant implements Participant {
  readonly id: number;
  readonly handle: WasmFrostParticipant;

  constructor(handle: WasmFrostParticipant) {
    this.handle = handle;
    this.id = handle.identifier;
  }

  async round1(sessionId: Uint8Array): Promise<Uint8Array> {
    return unwrap(this.handle.round1(sessionId), `participant ${this.id} round 1`);
  }

  async round2(r: Round2Request): Promise<Uint8Array> {
    return unwrap(this.handle.round2(r.sessionId, r.message, Uint16Array.from(r.ids), r.commitments), `participant ${this.id} round 2`);
  }

  async cancel(sessionId: Uint8Array): Promise<void> {
    this.handle.cancel(sessionId);
  }

  async health(groupKey: Uint8Array): Promise<void> {
    const mine = this.handle.groupKey();
    if (mine.length !== groupKey.length || mine.some((b, i) => b !== groupKey[i])) throw new DomainError('SIGNER_FAILED', `participant ${this.id} holds a share of another group key`);
  }

  /** The group's public package (threshold, group key, verifying shares). */
  publicPackage(): Uint8Array {
    return this.handle.publicPackage();
  }

  /** Releases the WASM memory (the share is zeroized). */
  free(): void {
    this.handle.free();
  }
}
