import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/support/harness.ts';

describe('client mistakes are 4xx problem+json with a stable code', () => {
  const cases: [string, string, string, unknown, Record<string, string>, number, string][] = [
    ['malformed JSON', 'POST', '/v1/sessions', '{"agent_id":', {}, 400, 'MALFORMED_JSON'],
    ['wrong type', 'POST', '/v1/sessions', { agent_id: 42 }, {}, 400, 'INVALID_INPUT'],
    ['unknown field', 'POST', '/v1/sessions', { agent_id: 'a', admin: true }, {}, 400, 'INVALID_INPUT'],
    ['empty body', 'POST', '/v1/sessions', '', {}, 400, 'MALFORMED_JSON'],
    ['oversized body', 'POST', '/v1/sessions', { agent_id: 'x'.repeat(70_000) }, {}, 413, 'PAYLOAD_TOO_LARGE'],
    ['declared oversized', 'POST', '/v1/sessions', { agent_id: 'a' }, { 'content-length': '999999' }, 413, 'PAYLOAD_TOO_LARGE'],
    ['not JSON', 'POST', '/v1/sessions', 'agent', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['lone surrogate', 'POST', '/v1/sessions', '{"agent_id":"a\\ud800"}', {}, 400, 'INVALID_INPUT'],
    ['invalid UTF-8', 'POST', '/v1/sessions', new Uint8Array([0x7b, 0xff, 0x7d]) as unknown as string, {}, 400, 'MALFORMED_JSON'],
    ['unknown session', 'POST', '/v1/sessions/00000000-0000-4000-8000-000000000000/close', undefined, {}, 404, 'SESSION_NOT_FOUND'],
    ['malformed session id', 'POST', '/v1/sessions/..%2F..%2Fetc/authorize', { a: 1 }, {}, 404, 'SESSION_NOT_FOUND'],
    ['unknown block', 'GET', `/v1/audit/blocks/${'0'.repeat(32)}/package`, undefined, {}, 404, 'BLOCK_NOT_FOUND'],
    ['unknown route', 'DELETE', '/v1/session', undefined, {}, 404, 'NOT_FOUND'],
    ['known route, wrong method', 'DELETE', '/v1/sessions', undefined, {}, 405, 'METHOD_NOT_ALLOWED'],
  ];
  for (const [name, method, path, body, headers, status, code] of cases) {
    it(name, async () => {
      const h = makeHarness();
      const r = await h.call(method, path, body, headers);
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(r.json).toMatchObject({ status, code });
      expect(r.text).not.toMatch(/\.ts:\d+|\n\s+at /);
    });
  }

  it('rejects wrong types inside authorize with the field named', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { principal: { type: 'Agent', id: 1 }, action: { type: 'Action', id: 'read' }, resource: { type: 'R', id: 'r' } });
    expect(r.status).toBe(400);
    expect(r.json.detail).toContain('`principal.id`');
  });

  it('answers an unexpected internal fault with a bare 500, no details', async () => {
    let broken = false;
    const clock = { nowIso: () => { if (broken) throw new TypeError('secret internals at /srv/x.ts:12'); return new Date().toISOString(); } };
    const h = makeHarness({ deps: { clock } });
    await h.started;
    broken = true;
    const r = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: 'INTERNAL', detail: 'internal error' });
    expect(r.text).not.toContain('secret');
  });
});
