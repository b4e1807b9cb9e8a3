/**
 * The SSF 1.0 transmitter: stream management (§8.1.1: create, read, update, replace, delete;
 * status §8.1.2; verification §8.1.4), SETs signed EdDSA with the kernel's token key (its JWKS
 * at `/.well-known/jwks.json`), push delivery (RFC 8935: POST `application/secevent+jwt`, 202 is
 * the acknowledgement) and poll delivery (RFC 8936: the receiver POSTs `ack` / `maxEvents` /
 * `returnImmediately` to the stream's poll endpoint).
 */
import type { TokenSigner } from '../../ports/token-signer.ts';
import type { RevocationEntry } from '../credentials/revocations.ts';
import { DomainError } from '../errors.ts';
import { eventTypeOf, setClaimsOf, SET_TYP, verificationClaims, type SetClaims } from './set-events.ts';
import { configFrom, POLL_METHOD, PUSH_METHOD, type Stream, type StreamConfig, type StreamRequest, type StreamStatus, type StreamStore } from './streams.ts';

export type TransmitterDeps = {
  streams: StreamStore;
  tokens: TokenSigner;
  issuer: string;
  nowMs: () => number;
  fetch: typeof fetch;
  newId: () => string;
  /** A poll receiver acknowledged the SET `jti` of `streamId`. */
  onPollAck: (streamId: string, jti: string) => Promise<void>;
  /** Stream `streamId` was deleted or disabled: what it is owed is dropped. */
  onStreamGone?: (streamId: string, why: string) => Promise<void>;
};

/** RFC 8936 §2.1 poll request. */
export type PollRequest = { ack?: unknown; maxEvents?: unknown; returnImmediately?: unknown; setErrs?: unknown };

const LONG_POLL_MS = 10_000;
const PUSH_TIMEOUT_MS = 10_000;

export class Transmitter {
  private readonly deps: TransmitterDeps;
  /** Poll streams: SETs waiting for the receiver's ack, by stream, in order. */
  private readonly queues = new Map<string, Map<string, string>>();
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(deps: TransmitterDeps) {
    this.deps = deps;
  }

  /** Streams that receive `entry`'s event now (enabled, event requested), those other instances sharing the store made included. */
  async receiversOf(entry: RevocationEntry): Promise<Stream[]> {
    await this.deps.streams.load();
    const type = eventTypeOf(entry.kind);
    return this.deps.streams.all().filter((s) => s.status === 'enabled' && s.config.events_delivered.includes(type));
  }

  /** Whether any stream exists that is not enabled (its receiver cannot be told now). */
  hasInactiveStreams(): boolean {
    return this.deps.streams.all().some((s) => s.status !== 'enabled');
  }

  /** The stream `id` as loaded, or undefined. */
  streamOf(id: string): Stream | undefined {
    return this.deps.streams.all().find((s) => s.config.stream_id === id);
  }

  /** Reads the stream documents other instances stored since. */
  loadStreams(): Promise<void> {
    return this.deps.streams.load();
  }

  /** Takes SET `jti` out of the poll queue of stream `id` (acknowledged elsewhere, or dropped). */
  unqueue(id: string, jti: string): void {
    this.queues.get(id)?.delete(jti);
  }

  streamCount(): number {
    return this.deps.streams.all().length;
  }

  async createStream(req: StreamRequest, origin: string, aud: string): Promise<StreamConfig> {
    const id = this.deps.newId();
    const config = configFrom(req, { stream_id: id, iss: this.deps.issuer, aud, pollUrl: `${origin}/ssf/poll/${id}` });
    await this.deps.streams.put(id, { config, status: 'enabled' });
    return config;
  }

  async readStream(id: string): Promise<StreamConfig> {
    await this.deps.streams.load();
    return this.deps.streams.get(id).config;
  }

  async listStreams(): Promise<StreamConfig[]> {
    await this.deps.streams.load();
    return this.deps.streams.all().map((s) => s.config);
  }

  /** PATCH (`replace` false: unnamed properties kept) or PUT (`replace` true). */
  async updateStream(id: string, req: StreamRequest, origin: string, replace: boolean): Promise<StreamConfig> {
    await this.deps.streams.load();
    const s = this.deps.streams.get(id);
    const config = configFrom(req, { stream_id: id, iss: s.config.iss, aud: s.config.aud, pollUrl: `${origin}/ssf/poll/${id}` }, replace ? undefined : s.config);
    await this.deps.streams.put(id, { ...s, config });
    return config;
  }

  async deleteStream(id: string): Promise<void> {
    await this.deps.streams.load();
    this.deps.streams.get(id);
    await this.deps.streams.put(id, null);
    this.queues.delete(id);
    await this.deps.onStreamGone?.(id, 'its stream was deleted');
  }

  async status(id: string): Promise<{ stream_id: string; status: StreamStatus; reason?: string }> {
    await this.deps.streams.load();
    return this.statusOf(id);
  }

  private statusOf(id: string): { stream_id: string; status: StreamStatus; reason?: string } {
    const s = this.deps.streams.get(id);
    return { stream_id: id, status: s.status, ...(s.reason ? { reason: s.reason } : {}) };
  }

  async setStatus(id: string, status: unknown, reason: unknown): Promise<{ stream_id: string; status: StreamStatus; reason?: string }> {
    await this.deps.streams.load();
    const s = this.deps.streams.get(id);
    if (status !== 'enabled' && status !== 'paused' && status !== 'disabled') throw new DomainError('INVALID_INPUT', '`status` must be `enabled`, `paused` or `disabled`');
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1024)) throw new DomainError('INVALID_INPUT', '`reason` must be a string');
    const next: Stream = { config: s.config, status, ...(reason === undefined ? {} : { reason: reason as string }) };
    await this.deps.streams.put(id, next);
    if (status === 'disabled') await this.deps.onStreamGone?.(id, 'its stream is disabled');
    return this.statusOf(id);
  }

  /** Sends a verification event on the stream (SSF 1.0 §8.1.4.2): pushed now, or queued for the poll. */
  async verify(id: string, state: unknown): Promise<void> {
    await this.deps.streams.load();
    const s = this.deps.streams.get(id);
    if (state !== undefined && (typeof state !== 'string' || state.length > 1024)) throw new DomainError('INVALID_INPUT', '`state` must be a string');
    const jti = this.deps.newId();
    const token = await this.sign(verificationClaims(this.deps.issuer, s.config.aud, jti, this.nowSec(), id, state as string | undefined));
    if (s.config.delivery.method === PUSH_METHOD) void this.push(s, token);
    else this.enqueue(id, jti, token);
  }

  /** The signed SET of `entry` for `stream`. */
  async setOf(stream: Stream, entry: RevocationEntry): Promise<{ jti: string; token: string }> {
    const jti = this.deps.newId();
    return { jti, token: await this.sign(setClaimsOf(entry, this.deps.issuer, stream.config.aud, jti, this.nowSec())) };
  }

  /**
   * Delivers a SET: push streams POST it now and resolve true on 202 (RFC 8935 §2: the
   * acknowledgement); poll streams queue it and resolve false (the receiver's ack comes later).
   */
  async deliver(stream: Stream, jti: string, token: string): Promise<boolean> {
    if (stream.config.delivery.method === POLL_METHOD) {
      this.enqueue(stream.config.stream_id, jti, token);
      return false;
    }
    return this.push(stream, token);
  }

  /** RFC 8936 poll: applies the acks, then answers up to `maxEvents` SETs (waits up to 10 s for one unless `returnImmediately`). */
  async poll(id: string, req: PollRequest): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    await this.deps.streams.load();
    const s = this.deps.streams.get(id);
    if (s.config.delivery.method !== POLL_METHOD) throw new DomainError('CONFLICT', `stream \`${id}\` is a push stream`);
    if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new DomainError('INVALID_INPUT', 'the poll request must be a JSON object');
    const ack = req.ack ?? [];
    if (!Array.isArray(ack) || ack.length > 10_000 || !ack.every((j) => typeof j === 'string')) throw new DomainError('INVALID_INPUT', '`ack` must be an array of SET `jti`s');
    const errs = req.setErrs ?? {};
    if (typeof errs !== 'object' || errs === null || Array.isArray(errs)) throw new DomainError('INVALID_INPUT', '`setErrs` must be an object');
    const max = req.maxEvents ?? 100;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0 || max > 1000) throw new DomainError('INVALID_INPUT', '`maxEvents` must be an integer from 0 to 1000');
    const queue = this.queues.get(id) ?? new Map<string, string>();
    this.queues.set(id, queue);
    // a SET the receiver reports an error for is acknowledged too: it received it (RFC 8936 §2.3)
    for (const jti of [...(ack as string[]), ...Object.keys(errs)]) {
      if (queue.delete(jti)) await this.deps.onPollAck(id, jti);
    }
    if (queue.size === 0 && max > 0 && req.returnImmediately !== true) await this.waitFor(id, LONG_POLL_MS);
    const sets: Record<string, string> = {};
    for (const [jti, token] of queue) {
      if (Object.keys(sets).length >= max) break;
      sets[jti] = token;
    }
    return { sets, moreAvailable: queue.size > Object.keys(sets).length };
  }

  private enqueue(id: string, jti: string, token: string): void {
    const queue = this.queues.get(id) ?? new Map<string, string>();
    this.queues.set(id, queue);
    queue.set(jti, token);
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
  }

  private waitFor(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const list = this.waiters.get(id) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.set(id, list);
    });
  }

  private async push(stream: Stream, token: string): Promise<boolean> {
    const d = stream.config.delivery;
    try {
      const res = await this.deps.fetch(d.endpoint_url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json', ...(d.authorization_header ? { authorization: d.authorization_header } : {}) },
        body: token,
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.status === 202;
    } catch {
      return false;
    }
  }

  private sign(claims: SetClaims): Promise<string> {
    return this.deps.tokens.sign(SET_TYP, claims);
  }

  private nowSec(): number {
    return Math.floor(this.deps.nowMs() / 1000);
  }
}
