export type SpanAttributes = Record<string, string | number | boolean | string[] | undefined>;

export interface SpanHandle {
  setAttributes(attributes: SpanAttributes): void;
}

/**
 * Governance telemetry (P6). Every span is recorded (100 % sampling). `traceId` places the
 * span in the session's trace, whose id is the Session Block id.
 */
export interface Telemetry {
  span<T>(
    name: string,
    options: { traceId?: string; attributes?: SpanAttributes },
    fn: (span: SpanHandle) => Promise<T> | T,
  ): Promise<T>;
}
