import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';
import { randomTraceId } from '../../kernel/hex.ts';
import type { SpanAttributes, SpanHandle, Telemetry } from '../../ports/telemetry.ts';
import { RESOURCE } from './attributes.ts';

/** What `local.ts` shuts down at exit: pending spans are exported first. */
export type SpanPipeline = { forceFlush(): Promise<void>; shutdown(): Promise<void> };
export type GovernanceTracing = { telemetry: Telemetry; provider: SpanPipeline };

/** Spans per export call of a batch exporter, and the most a batch exporter may have waiting. */
export const MAX_EXPORT_BATCH = 512;
export const MAX_QUEUE = 8_192;
/** A batch exporter gets what is waiting at least this often. */
export const EXPORT_DELAY_MS = 1_000;

/**
 * Builds the governance tracer (P6). Every span is recorded, whatever sampler the host
 * configures (there is no sampler here), and each finished span goes to every exporter as an
 * OpenTelemetry `ReadableSpan`: at once to a simple exporter (tests), in batches of up to
 * MAX_EXPORT_BATCH to a batch exporter (OTLP). Without exporters nothing is kept.
 *
 * It is not the SDK's tracer: on the audit write path (one `soos.gar.write` span per record,
 * 20,000 a second) the SDK's `startSpan` (id generation, context and attribute checks, a span
 * object with a dozen fields) was a fifth of the main thread's CPU per append, and the spans it
 * keeps until export were most of what survived V8's young generation. Here a span is one small
 * record while it runs; ids, timestamps and the `ReadableSpan` are made only when exporting.
 */
export function createGovernanceTracing(options: {
  exporters: { exporter: SpanExporter; batch?: boolean }[];
  resource?: Record<string, string>;
}): GovernanceTracing {
  const resource = resourceFromAttributes({ [RESOURCE.serviceName]: 'kee', ...options.resource });
  const outlets = options.exporters.map(({ exporter, batch }) => (batch ? new BatchOutlet(exporter, resource) : new SimpleOutlet(exporter, resource)));
  const telemetry = new GovernanceTelemetry(outlets);
  return {
    telemetry,
    provider: {
      forceFlush: async () => {
        await Promise.all(outlets.map((o) => o.flush()));
      },
      shutdown: async () => {
        await Promise.all(outlets.map((o) => o.shutdown()));
      },
    },
  };
}

/**
 * A span while and after it runs (times in ms since the epoch, performance clock), and the
 * handle its function gets. A class, not an object with a closure per span: on the audit write
 * path every closure made per record is an allocation, and under tsx a `__name` call too.
 */
class SpanRecord implements SpanHandle {
  readonly name: string;
  readonly traceId: string | undefined;
  readonly attributes: Attributes;
  readonly start: number;
  end = 0;
  status: SpanStatusCode = SpanStatusCode.UNSET;
  message: string | undefined = undefined;
  exception: Attributes | undefined = undefined;

  constructor(name: string, traceId: string | undefined, attributes: SpanAttributes | undefined) {
    this.name = name;
    this.traceId = traceId;
    this.attributes = clean(attributes, {});
    this.start = nowMs();
  }

  setAttributes(attributes: SpanAttributes): void {
    clean(attributes, this.attributes);
  }
}

type Outlet = { accept(span: SpanRecord): void; flush(): Promise<void>; shutdown(): Promise<void> };

/** Telemetry port: one span per call, errors recorded (an `exception` event), status set. */
export class GovernanceTelemetry implements Telemetry {
  private readonly outlets: Outlet[];

  constructor(outlets: Outlet[]) {
    this.outlets = outlets;
  }

  async span<T>(
    name: string,
    options: { traceId?: string; attributes?: SpanAttributes },
    fn: (span: SpanHandle) => Promise<T> | T,
  ): Promise<T> {
    if (this.outlets.length === 0) return fn(NO_HANDLE);
    const span = new SpanRecord(name, options.traceId, options.attributes);
    try {
      const out = await fn(span);
      span.status = SpanStatusCode.OK;
      return out;
    } catch (e) {
      span.status = SpanStatusCode.ERROR;
      span.message = e instanceof Error ? e.message : String(e);
      span.exception = e instanceof Error ? { 'exception.type': e.name, 'exception.message': e.message, ...(e.stack ? { 'exception.stacktrace': e.stack } : {}) } : { 'exception.message': String(e) };
      throw e;
    } finally {
      span.end = nowMs();
      for (let i = 0; i < this.outlets.length; i++) (this.outlets[i] as Outlet).accept(span);
    }
  }
}

const NO_HANDLE: SpanHandle = { setAttributes: () => undefined };

/** Exports each span as it ends (tests: InMemorySpanExporter). */
class SimpleOutlet implements Outlet {
  private readonly exporter: SpanExporter;
  private readonly resource: Resource;
  private readonly pending = new Set<Promise<void>>();

  constructor(exporter: SpanExporter, resource: Resource) {
    this.exporter = exporter;
    this.resource = resource;
  }

  accept(span: SpanRecord): void {
    const done = new Promise<void>((resolve) => this.exporter.export([new FinishedSpan(span, this.resource)], () => resolve()));
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.exporter.shutdown();
  }
}

/**
 * Batches for an exporter that sends (OTLP): a batch goes when MAX_EXPORT_BATCH spans wait, or
 * EXPORT_DELAY_MS after the first one waited, one export at a time. Beyond MAX_QUEUE waiting
 * spans (the collector is down or slow) new spans are dropped and counted, never blocking the
 * kernel; the count is reported once the exporter takes spans again.
 */
class BatchOutlet implements Outlet {
  private readonly exporter: SpanExporter;
  private readonly resource: Resource;
  private queue: SpanRecord[] = [];
  private exporting: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dropped = 0;

  constructor(exporter: SpanExporter, resource: Resource) {
    this.exporter = exporter;
    this.resource = resource;
  }

  accept(span: SpanRecord): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.queue.push(span);
    if (this.exporting) return;
    if (this.queue.length >= MAX_EXPORT_BATCH) this.exportNext();
    else this.arm();
  }

  /** Exports what waits EXPORT_DELAY_MS from now, unless a timer is already set. */
  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.exportNext(), EXPORT_DELAY_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  async flush(): Promise<void> {
    while (this.exporting || this.queue.length > 0) {
      if (!this.exporting) this.exportNext();
      await this.exporting;
    }
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.exporter.shutdown();
  }

  private exportNext(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.exporting || this.queue.length === 0) return;
    const batch = this.queue.length <= MAX_EXPORT_BATCH ? this.queue : this.queue.slice(0, MAX_EXPORT_BATCH);
    this.queue = batch === this.queue ? [] : this.queue.slice(MAX_EXPORT_BATCH);
    const spans = batch.map((s) => new FinishedSpan(s, this.resource));
    this.exporting = new Promise<void>((resolve) => {
      try {
        this.exporter.export(spans, (result) => {
          if (result.code === 0 && this.dropped > 0) {
            console.error(`kee: ${this.dropped} governance spans were dropped while the span exporter was behind`);
            this.dropped = 0;
          }
          resolve();
        });
      } catch {
        resolve();
      }
    }).then(() => {
      this.exporting = null;
      if (this.queue.length >= MAX_EXPORT_BATCH) this.exportNext();
      else if (this.queue.length > 0) this.arm();
    });
  }
}

const SCOPE = { name: 'soos.governance' };
const HEX_TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;

/**
 * The OpenTelemetry form of a finished span, made when it is exported. A span without a (valid)
 * trace id starts its own trace. A class for the same reason as SpanRecord.
 */
class FinishedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind = SpanKind.INTERNAL;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[] = [];
  readonly events: TimedEvent[];
  readonly duration: HrTime;
  readonly ended = true;
  readonly resource: Resource;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext;

  constructor(s: SpanRecord, resource: Resource) {
    const inSession = s.traceId !== undefined && HEX_TRACE_ID.test(s.traceId);
    const traceId = inSession ? (s.traceId as string) : randomTraceId(16);
    this.context = { traceId, spanId: randomTraceId(8), traceFlags: TraceFlags.SAMPLED };
    if (inSession) this.parentSpanContext = { traceId, spanId: sessionRootSpanId(traceId), traceFlags: TraceFlags.SAMPLED, isRemote: true };
    this.name = s.name;
    this.startTime = hrTime(s.start);
    this.endTime = hrTime(s.end);
    this.status = s.message !== undefined ? { code: s.status, message: s.message } : { code: s.status };
    this.attributes = s.attributes;
    this.events = s.exception ? [{ name: 'exception', attributes: s.exception, time: this.endTime, droppedAttributesCount: 0 }] : [];
    this.duration = hrTime(s.end - s.start);
    this.resource = resource;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/** The session's governance spans share one parent: span id = first 16 hex of the trace id. */
function sessionRootSpanId(traceId: string): string {
  const id = traceId.slice(0, 16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}


function clean(attrs: SpanAttributes | undefined, into: Attributes): Attributes {
  if (!attrs) return into;
  const keys = Object.keys(attrs);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = attrs[k];
    if (v !== undefined) into[k] = v;
  }
  return into;
}
