/**
 * SSF 1.0 stream configurations (§8.1.1) this kernel transmits on, persisted as documents
 * `ssf_stream` (one per change, the latest per `stream_id` wins) and loaded at start.
 */
import type { AuditStore } from '../../ports/storage.ts';
import { DomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';
import { EVENTS_SUPPORTED } from './set-events.ts';

export const STREAM_DOCUMENT_KIND = 'ssf_stream';
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';

export type StreamStatus = 'enabled' | 'paused' | 'disabled';

export type StreamConfig = {
  stream_id: string;
  iss: string;
  aud: string;
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  delivery: { method: string; endpoint_url?: string; authorization_header?: string };
  min_verification_interval: number;
  description?: string;
};

export type Stream = { config: StreamConfig; status: StreamStatus; reason?: string };

/** What a receiver may set (SSF 1.0: Receiver-Supplied properties). */
export type StreamRequest = { delivery?: { method?: unknown; endpoint_url?: unknown; authorization_header?: unknown }; events_requested?: unknown; description?: unknown };

const MIN_VERIFICATION_INTERVAL = 1;

export type StreamStoreDeps = { store: AuditStore; io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>; nowIso: () => string };

export class StreamStore {
  private readonly deps: StreamStoreDeps;
  private readonly streams = new Map<string, Stream>();
  private seq = 0;

  constructor(deps: StreamStoreDeps) {
    this.deps = deps;
  }

  /** Applies the stream documents stored after the last one seen (at start, then before each use: other instances sharing the store). */
  async load(): Promise<void> {
    for (;;) {
      const page = await this.deps.io(() => this.deps.store.listDocuments(STREAM_DOCUMENT_KIND, this.seq + 1, 500), false);
      for (const doc of page) {
        let body: { stream_id: string; deleted?: boolean; stream?: Stream };
        try {
          body = JSON.parse(doc.body) as typeof body;
        } catch {
          throw new DomainError('AUDIT_TAMPERED', `the SSF stream document ${doc.seq} is not JSON`);
        }
        if (typeof body.stream_id !== 'string') throw new DomainError('AUDIT_TAMPERED', `the SSF stream document ${doc.seq} is malformed`);
        if (body.deleted || !body.stream) this.streams.delete(body.stream_id);
        else this.streams.set(body.stream_id, body.stream);
        this.seq = doc.seq;
      }
      if (page.length < 500) return;
    }
  }

  all(): Stream[] {
    return [...this.streams.values()];
  }

  get(streamId: string): Stream {
    const s = this.streams.get(streamId);
    if (!s) throw new DomainError('NOT_FOUND', `no stream \`${streamId.slice(0, 64)}\``);
    return s;
  }

  /** Stores the stream (or its deletion) as the next `ssf_stream` document, then serves it. */
  async put(streamId: string, stream: Stream | null): Promise<void> {
    const seq = this.seq + 1;
    const body = stream ? { stream_id: streamId, stream } : { stream_id: streamId, deleted: true };
    await this.deps.io(() => this.deps.store.putDocument({ kind: STREAM_DOCUMENT_KIND, seq, docId: streamId, body: canonicalJson(body as unknown as Json), createdAt: this.deps.nowIso() }), true);
    this.seq = seq;
    if (stream) this.streams.set(streamId, stream);
    else this.streams.delete(streamId);
  }
}

/** A stream configuration from a receiver's request; INVALID_INPUT with a one-line reason otherwise. */
export function configFrom(req: StreamRequest, base: { stream_id: string; iss: string; aud: string; pollUrl: string }, previous?: StreamConfig): StreamConfig {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new DomainError('INVALID_INPUT', 'the stream configuration must be a JSON object');
  const d = req.delivery ?? previous?.delivery;
  if (!d || typeof d !== 'object') throw new DomainError('INVALID_INPUT', '`delivery` is required: `{ "method": "urn:ietf:rfc:8935", "endpoint_url": … }` or `{ "method": "urn:ietf:rfc:8936" }`');
  const method = d.method;
  let delivery: StreamConfig['delivery'];
  if (method === PUSH_METHOD) {
    if (typeof d.endpoint_url !== 'string' || !/^https?:\/\/[^\s]+$/.test(d.endpoint_url) || d.endpoint_url.length > 2048) throw new DomainError('INVALID_INPUT', 'push delivery needs `delivery.endpoint_url`, an http(s) URL');
    if (d.authorization_header !== undefined && (typeof d.authorization_header !== 'string' || d.authorization_header.length > 4096)) throw new DomainError('INVALID_INPUT', '`delivery.authorization_header` must be a string');
    delivery = { method, endpoint_url: d.endpoint_url, ...(d.authorization_header === undefined ? {} : { authorization_header: d.authorization_header as string }) };
  } else if (method === POLL_METHOD) {
    delivery = { method, endpoint_url: base.pollUrl };
  } else {
    throw new DomainError('INVALID_INPUT', `\`delivery.method\` must be \`${PUSH_METHOD}\` (push) or \`${POLL_METHOD}\` (poll)`);
  }
  const requested = req.events_requested ?? previous?.events_requested ?? [...EVENTS_SUPPORTED];
  if (!Array.isArray(requested) || requested.length > 32 || !requested.every((e) => typeof e === 'string' && e.length <= 512)) throw new DomainError('INVALID_INPUT', '`events_requested` must be an array of event type URIs');
  if (req.description !== undefined && (typeof req.description !== 'string' || req.description.length > 1024)) throw new DomainError('INVALID_INPUT', '`description` must be a string');
  const description = (req.description as string | undefined) ?? previous?.description;
  const supported = [...EVENTS_SUPPORTED] as string[];
  return {
    stream_id: base.stream_id,
    iss: base.iss,
    aud: base.aud,
    events_supported: supported,
    events_requested: requested as string[],
    events_delivered: (requested as string[]).filter((e) => supported.includes(e)),
    delivery,
    min_verification_interval: MIN_VERIFICATION_INTERVAL,
    ...(description === undefined ? {} : { description }),
  };
}
