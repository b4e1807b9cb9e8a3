import { describe, expect, it } from 'vitest';
import type { OperatorAlert } from '../../ports/alert.ts';
import { allSinks, lineAlertSink, webhookAlertSink } from './alert-sinks.ts';

const alert: OperatorAlert = {
  alert: 'SIGNING_QUORUM_LOST',
  severity: 'critical',
  at: '2026-11-22T08:00:00.000Z',
  kernel_id: 'k',
  threshold: 2,
  participants: 3,
  available_count: 1,
  unavailable_participants: [1, 2],
  culprit_participants: [],
  eta: null,
  detail: 'only 1 of the 2 required frost participants are available',
};

describe('operator alert sinks', () => {
  it('writes one JSON line', () => {
    const lines: string[] = [];
    lineAlertSink((l) => lines.push(l)).alert(alert);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ kee_alert: alert });
  });

  it('POSTs the alert to the webhook; a failing webhook is logged, never thrown', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const ok = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch;
    const errors: string[] = [];
    await webhookAlertSink('https://ops.example/hook', (m) => errors.push(m), ok).alert(alert);
    expect(seen[0]?.url).toBe('https://ops.example/hook');
    expect(seen[0]?.init.method).toBe('POST');
    expect(JSON.parse(String(seen[0]?.init.body))).toEqual(alert);
    expect(errors).toEqual([]);

    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const refused = (async () => new Response('no', { status: 500 })) as unknown as typeof fetch;
    await webhookAlertSink('https://ops.example/hook', (m) => errors.push(m), down).alert(alert);
    await webhookAlertSink('https://ops.example/hook', (m) => errors.push(m), refused).alert(alert);
    expect(errors).toEqual(['kee: alert webhook failed: fetch failed', 'kee: alert webhook answered HTTP 500']);
  });

  it('sends to every sink even when one throws', async () => {
    const got: string[] = [];
    await allSinks([
      { alert: () => void got.push('a') },
      {
        alert: () => {
          throw new Error('boom');
        },
      },
      { alert: async () => void got.push('c') },
    ]).alert(alert);
    expect(got).toEqual(['a', 'c']);
  });
});
