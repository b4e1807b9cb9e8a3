import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace, type Context, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, SimpleSpanProcessor, BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { SpanAttributes, SpanHandle, Telemetry } from '../../ports/telemetry.ts';
import { RESOURCE } from './attributes.ts';

export type GovernanceTracing = { telemetry: Telemetry; provider: TracerProvider };

/**
 * Builds the governance tracer (P6). It has its own provider whose sampler is always-on, so
 * governance spans are recorded at 100 % whatever sampler the host configures globally.
 * `exporters` are attached with a simple (in-memory, tests) or batch (OTLP) processor.
 */
export function createGovernanceTracing(options: {
  exporters: { exporter: SpanExporter; batch?: boolean }[];
  resource?: Record<string, string>;
}): GovernanceTracing {
  const provider = new TracerProvider({
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({ [RESOURCE.serviceName]: 'kee', ...options.resource }),
    spanProcessors: options.exporters.map(({ exporter, batch }) =>
      batch ? new BatchSpanProcessor({ exporter }) : new SimpleSpanProcessor({ exporter }),
    ),
  });
  return { telemetry: new OtelTelemetry(provider.getTracer('soos.governance')), provider };
}

/** Telemetry port over the OpenTelemetry API: one span per call, errors recorded, status set. */
export class OtelTelemetry implements Telemetry {
  private readonly tracer: Tracer;
  /** Parent contexts of recent session traces: one per session, not one per span. */
  private readonly parents = new Map<string, Context>();

  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }

  async span<T>(
    name: string,
    options: { traceId?: string; attributes?: SpanAttributes },
    fn: (span: SpanHandle) => Promise<T> | T,
  ): Promise<T> {
    const parent = options.traceId ? this.parent(options.traceId) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(name, { attributes: clean(options.attributes) }, parent);
    const handle: SpanHandle = { setAttributes: (a) => span.setAttributes(clean(a)) };
    try {
      const out = await fn(handle);
      span.setStatus({ code: SpanStatusCode.OK });
      return out;
    } catch (e) {
      span.recordException(e instanceof Error ? e : String(e));
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  }

  private parent(traceId: string): Context {
    let ctx = this.parents.get(traceId);
    if (!ctx) {
      ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: sessionRootSpanId(traceId), traceFlags: TraceFlags.SAMPLED, isRemote: true });
      if (this.parents.size >= MAX_CACHED_PARENTS) this.parents.clear();
      this.parents.set(traceId, ctx);
    }
    return ctx;
  }
}

const MAX_CACHED_PARENTS = 10_000;

/** The session's governance spans share one parent: span id = first 16 hex of the trace id. */
function sessionRootSpanId(traceId: string): string {
  const id = traceId.slice(0, 16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

function clean(attrs: SpanAttributes | undefined): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  if (!attrs) return out;
  const keys = Object.keys(attrs);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = attrs[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
