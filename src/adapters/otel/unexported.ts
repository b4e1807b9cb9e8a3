import type { SpanHandle, Telemetry } from '../../ports/telemetry.ts';

const NO_HANDLE: SpanHandle = { setAttributes: () => undefined };

/**
 * Governance telemetry where no span is exported (a Worker: it has no exporter): each span's
 * function runs and nothing else, exactly what `createGovernanceTracing({ exporters: [] })` does,
 * without the OpenTelemetry packages in the bundle.
 */
export const unexportedTelemetry: Telemetry = {
  span: async (_name, _options, fn) => fn(NO_HANDLE),
};
