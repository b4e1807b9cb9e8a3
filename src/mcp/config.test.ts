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

describe('the gateway config: kernel.store_thread', () => {
  it('serves the embedded libSQL file on the main thread unless told `worker`', () => {
    expect(parseGatewayConfig(base).kernel).toEqual({ mode: 'embedded', store_thread: 'main' });
    expect(parseGatewayConfig({ ...base, kernel: { mode: 'embedded' } }).kernel).toEqual({ mode: 'embedded', store_thread: 'main' });
    expect(parseGatewayConfig({ ...base, kernel: { mode: 'embedded', store_thread: 'worker' } }).kernel).toEqual({ mode: 'embedded', store_thread: 'worker' });
  });

  it('refuses other values, and the key with a remote kernel', () => {
    expect(() => parseGatewayConfig({ ...base, kernel: { mode: 'embedded', store_thread: 'both' } })).toThrow(/^`kernel\.store_thread`: /);
    expect(() => parseGatewayConfig({ ...base, agent: { id: 'a', key: 'k.jwk' }, kernel: { mode: 'remote', url: 'https://kee.example', store_thread: 'main' } })).toThrow(/^`kernel`: /);
  });
});
