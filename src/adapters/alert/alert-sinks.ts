/**
 * Operator alert sinks: one structured JSON line per alert on a log function (stderr in the
 * entries), and an optional webhook (`KEE_ALERT_WEBHOOK`: the alert POSTed as JSON). Web APIs only.
 */
import type { AlertSink, OperatorAlert } from '../../ports/alert.ts';

/** Writes `{"kee_alert": …}` as one line. */
export function lineAlertSink(write: (line: string) => void): AlertSink {
  return { alert: (a) => write(JSON.stringify({ kee_alert: a })) };
}

/**
 * POSTs each alert to `url` (JSON, 10 s timeout). A failed delivery is reported through
 * `onError` (a log line) and never thrown: signing must not wait on a webhook.
 */
export function webhookAlertSink(url: string, onError: (message: string) => void, send: typeof fetch = fetch): AlertSink {
  return {
    alert: async (a: OperatorAlert) => {
      try {
        const res = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a), signal: AbortSignal.timeout(10_000) });
        if (!res.ok) onError(`kee: alert webhook answered HTTP ${res.status}`);
        await res.body?.cancel();
      } catch (e) {
        onError(`kee: alert webhook failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

/** Sends every alert to each sink, in parallel. */
export function allSinks(sinks: AlertSink[]): AlertSink {
  return { alert: async (a) => void (await Promise.allSettled(sinks.map(async (s) => s.alert(a)))) };
}
