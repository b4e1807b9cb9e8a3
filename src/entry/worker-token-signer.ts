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
 *
 * The same messages carry the turn's DPoP proof signature checks (`verifyEd25519`, handed to
 * `agentProofs` by `local.ts`): checked in the worker with `node:crypto` over a key object per
 * agent key (at most 1,024), answered true or false, or left to WebCrypto (undefined) when the
 * worker is busy with the last batch, gone, or cannot import the key.
 */
import { Worker } from 'node:worker_threads';
import type { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { DomainError } from '../kernel/errors.ts';
import type { TokenJwk, TokenSigner } from '../ports/token-signer.ts';

/** The worker: `[typ, claims JSON][]` in, compact JWS strings (or one error) out, in order; `[x, signing input, signature][]` in, 1 (valid), 0 (invalid) or 2 (not checked) out. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, createPublicKey, sign, verify } = require('node:crypto');
const key = createPrivateKey({ key: workerData.jwk, format: 'jwk' });
const headers = new Map();
const agentKeys = new Map();
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64url');
const check = ([x, input, sig]) => {
  try {
    let k = agentKeys.get(x);
    if (k === undefined) {
      if (agentKeys.size >= 1024) agentKeys.clear();
      agentKeys.set(x, (k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })));
    }
    return verify(null, Buffer.from(input, 'latin1'), k, Buffer.from(sig, 'base64url')) ? 1 : 0;
  } catch {
    return 2;
  }
};
parentPort.on('message', ({ id, calls, checks }) => {
  const checked = checks.length === 0 ? undefined : checks.map(check);
  try {
    const tokens = calls.map(([typ, json]) => {
      let header = headers.get(typ);
      if (header === undefined) headers.set(typ, (header = b64(JSON.stringify({ alg: 'EdDSA', typ, kid: workerData.kid }))));
      const input = header + '.' + b64(json);
      return input + '.' + sign(null, Buffer.from(input, 'latin1'), key).toString('base64url');
    });
    parentPort.postMessage({ id, tokens, checked });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e), checked });
  }
});
`;

/** Batches the worker may owe at once: the next one goes to WebCrypto. */
const MAX_IN_FLIGHT = 1;

type Waiting = { resolve: (token: string) => void; reject: (e: unknown) => void };
/** A signature check's answer: true/false, or undefined (not checked here: the caller uses WebCrypto). */
type Checking = (ok: boolean | undefined) => void;
/** One message's waiting callers: its signatures, then its checks. */
type Batch = { waiting: Waiting[]; checking: Checking[] };
type Reply = { id: number; tokens?: string[]; error?: string; checked?: number[] };

export class WorkerTokenSigner implements TokenSigner {
  readonly kid: string;
  readonly jwk: TokenJwk;
  readonly publicKeyHex: string;
  private readonly jose: JoseTokenSigner;
  private worker: Worker | null;
  private calls: [string, string][] = [];
  private waiting: Waiting[] = [];
  private checks: [string, string, string][] = [];
  private checking: Checking[] = [];
  private readonly inFlight = new Map<number, Batch>();
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
    this.worker.on('message', (m: Reply) => this.settle(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the signing worker exited (${code})`)));
  }

  sign(typ: string, claims: Record<string, unknown>): Promise<string> {
    if (!this.worker) return this.jose.sign(typ, claims);
    return new Promise<string>((resolve, reject) => {
      this.calls.push([typ, JSON.stringify(claims)]);
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  /**
   * An agent's Ed25519 signature (a DPoP proof's) checked in the worker with `node:crypto`, in
   * the same message as the turn's signatures (`Ed25519VerifyOffload`): true or false as
   * WebCrypto answers over the same OpenSSL; undefined when the worker did not check it (gone,
   * busy with the last batch, or its key import failed), so the caller checks it with WebCrypto.
   */
  readonly verifyEd25519 = (x: string, signingInput: string, signature: string): Promise<boolean | undefined> => {
    if (!this.worker) return Promise.resolve(undefined);
    return new Promise<boolean | undefined>((resolve) => {
      this.checks.push([x, signingInput, signature]);
      this.checking.push(resolve);
      this.schedule();
    });
  };

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
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
    if (this.calls.length === 0 && this.checks.length === 0) return;
    const calls = this.calls;
    const waiting = this.waiting;
    const checks = this.checks;
    const checking = this.checking;
    this.calls = [];
    this.waiting = [];
    this.checks = [];
    this.checking = [];
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      // the worker has not answered the last batch yet (a busy or starved thread): this one goes
      // to WebCrypto's thread pool, as without the worker, rather than queue behind it
      calls.forEach(([typ, json], i) => {
        const w = waiting[i] as Waiting;
        this.jose.signJson(typ, json).then(w.resolve, w.reject);
      });
      for (const c of checking) c(undefined);
      return;
    }
    const id = this.nextId++;
    this.inFlight.set(id, { waiting, checking });
    if (!this.worker) return this.fail(new Error('the signing worker is gone'));
    this.worker.postMessage({ id, calls, checks });
  }

  private settle(m: Reply): void {
    const batch = this.inFlight.get(m.id);
    if (!batch) return;
    this.inFlight.delete(m.id);
    batch.waiting.forEach((w, i) => {
      const token = m.tokens?.[i];
      if (token === undefined) w.reject(signerFailed(m.error ?? 'no signature'));
      else w.resolve(token);
    });
    batch.checking.forEach((c, i) => {
      const r = m.checked?.[i];
      c(r === 1 ? true : r === 0 ? false : undefined);
    });
  }

  /** Fails every signature not yet answered and hands later ones to `jose`. */
  private fail(e: unknown): void {
    this.worker = null;
    const batches = [...this.inFlight.values(), { waiting: this.waiting, checking: this.checking }];
    this.inFlight.clear();
    this.waiting = [];
    this.calls = [];
    this.checks = [];
    this.checking = [];
    for (const b of batches) {
      for (const w of b.waiting) w.reject(signerFailed(e instanceof Error ? e.message : String(e)));
      for (const c of b.checking) c(undefined); // checked with WebCrypto instead
    }
  }
}

function signerFailed(why: string): DomainError {
  return new DomainError('SIGNER_FAILED', `the token key cannot sign: ${why}`);
}
