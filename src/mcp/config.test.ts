import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config.ts';

const base = { agent: { id: 'a' }, upstreams: { fs: { command: 'node' } } };

describe('the gateway config: result_records and record_bodies', () => {
  it('defaults to durable-before-answer and digests only', () => {
    const c = parseGatewayConfig(base);
    expect(c.result_records).toBe('before_answer');
    expect(c.upstreams.fs?.record_bodies).toBeUndefined();
  });

  it('takes with_next_call and bodies for all tools or named ones', () => {
    const c = parseGatewayConfig({ ...base, result_records: 'with_next_call', upstreams: { fs: { command: 'node', record_bodies: ['read_text_file'] }, web: { url: 'https://x.example/mcp', record_bodies: true } } });
    expect(c.result_records).toBe('with_next_call');
    expect(c.upstreams.fs?.record_bodies).toEqual(['read_text_file']);
    expect(c.upstreams.web?.record_bodies).toBe(true);
  });

  it('refuses other values in one line naming the key', () => {
    expect(() => parseGatewayConfig({ ...base, result_records: 'later' })).toThrow(/^`result_records`: /);
    expect(() => parseGatewayConfig({ ...base, upstreams: { fs: { command: 'node', record_bodies: 'yes' } } })).toThrow(/^`upstreams\.fs(\.record_bodies)?`: /);
  });
});
