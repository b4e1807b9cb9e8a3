/**
 * The token key's signatures (each PERMIT's credential) made in a worker thread, on Node. With
 * WebCrypto each signature is one job handed to libuv's thread pool, and creating the job and
 * waking a pool thread cost the main thread (Node's bottleneck over HTTP) about a fifth of its busy
 * time under load (bench/http/RESULTS.md). Here the signatures asked for in one turn of the event
 * loop cross to one worker thread as one message, are signed there with `node:crypto`, and come
 * back as one: the main thread does a queue push per credential and two messages per batch.
 * While the worker still owes a batch, the next one is signed with WebCrypto instead, so a worker
 * thread that is busy or starved of CPU never holds decisions back.
 *
 * The compact JWS is the one `JoseTokenSigner` makes, byte for byte (Ed25519 is deterministic;
 * `worker-token-signer.test.ts`). Verification, the key's JWK and ids stay with `jose`. If the
 * worker fails, the signatures waiting on it fail (`SIGNER_FAILED`, so no credential is issued
 * unsigned) and every later one is made by `jose` as before.
 */
import { Worker } from 'node:worker_threads';
import type { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { DomainError } from '../kernel/errors.ts';
import type { TokenJwk, TokenSigner } from '../ports/token-signer.ts';

/** The worker: `[typ, claims JSON][]` in, compact JWS strings (or one error) out, in order. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const key = createPrivateKey({ key: workerData.jwk, format: 'jwk' });
const headers = new Map();
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64url');
parentPort.on('message', ({ id, calls }) => {
  try {
    const tokens = calls.map(([typ, json]) => {
      let header = headers.get(typ);
      if (header === undefined) headers.set(typ, (header = b64(JSON.stringify({ alg: 'EdDSA', typ, kid: workerData.kid }))));
      const input = header + '.' + b64(json);
      return input + '.' + sign(null, Buffer.from(input, 'latin1'), key).toString('base64url');
    });
    parentPort.postMessage({ id, tokens });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e) });
  }
});
`;

type Waiting = { resolve: (token: string) => void; reject: (e: unknown) => void };

export class WorkerTokenSigner implements TokenSigner {
  readonly kid: string;
  readonly jwk: TokenJwk;
  readonly publicKeyHex: string;
  private readonly jose: JoseTokenSigner;
  private worker: Worker | null;
  private calls: [string, string][] = [];
  private waiting: Waiting[] = [];
  private readonly inFlight = new Map<number, Waiting[]>();
  private nextId = 0;
  private scheduled = false;

  /** `seed`: the 32-byte Ed25519 secret key `jose` holds too. */
  constructor(seed: Uint8Array, jose: JoseTokenSigner) {
    this.jose = jose;
    this.kid = jose.kid;
    this.jwk = jose.jwk;
    this.publicKeyHex = jose.publicKeyHex;
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: jose.jwk.x, d: Buffer.from(seed).toString('base64url') };
    this.worker = new Worker(WORKER, { eval: true, workerData: { jwk, kid: jose.kid } });
    this.worker.unref(); // it never keeps the process alive
    this.worker.on('message', (m: { id: number; tokens?: string[]; error?: string }) => this.settle(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the signing worker exited (${code})`)));
  }

  sign(typ: string, claims: Record<string, unknown>): Promise<string> {
    if (!this.worker) return this.jose.sign(typ, claims);
    return new Promise<string>((resolve, reject) => {
      this.calls.push([typ, JSON.stringify(claims)]);
      this.waiting.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  verify(token: string, typ: string): Promise<Record<string, unknown> | null> {
    return this.jose.verify(token, typ);
  }

  newId(): string {
    return this.jose.newId();
  }

  /** Stops the worker; signatures still waiting fail, later ones are made by `jose`. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.fail(new Error('the signing worker was stopped'));
    await worker?.terminate();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.calls.length === 0) return;
    if (this.inFlight.size > 0) {
      // the worker has not answered the last batch yet (a busy or starved thread): this one goes
      // to WebCrypto's thread pool, as without the worker, rather than queue behind it
      const calls = this.calls;
      const waiting = this.waiting;
      this.calls = [];
      this.waiting = [];
      calls.forEach(([typ, json], i) => {
        const w = waiting[i] as Waiting;
        this.jose.signJson(typ, json).then(w.resolve, w.reject);
      });
      return;
    }
    const id = this.nextId++;
    this.inFlight.set(id, this.waiting);
    const calls = this.calls;
    this.calls = [];
    this.waiting = [];
    if (!this.worker) return this.fail(new Error('the signing worker is gone'));
    this.worker.postMessage({ id, calls });
  }

  private settle(m: { id: number; tokens?: string[]; error?: string }): void {
    const batch = this.inFlight.get(m.id);
    if (!batch) return;
    this.inFlight.delete(m.id);
    batch.forEach((w, i) => {
      const token = m.tokens?.[i];
      if (token === undefined) w.reject(signerFailed(m.error ?? 'no signature'));
      else w.resolve(token);
    });
  }

  /** Fails every signature not yet answered and hands later ones to `jose`. */
  private fail(e: unknown): void {
    this.worker = null;
    const all = [...this.inFlight.values()].flat().concat(this.waiting);
    this.inFlight.clear();
    this.waiting = [];
    this.calls = [];
    for (const w of all) w.reject(signerFailed(e instanceof Error ? e.message : String(e)));
  }
}

function signerFailed(why: string): DomainError {
  return new DomainError('SIGNER_FAILED', `the token key cannot sign: ${why}`);
}
