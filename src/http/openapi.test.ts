import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/support/harness.ts';
import type { ErrorCode } from '../kernel/errors.ts';
import { STATUS } from './errors.ts';
import { OPENAPI } from './openapi.ts';

type Op = {
  operationId?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: any }>; links?: Record<string, { operationId: string; parameters: Record<string, string> }> }>;
};
const operations = Object.entries(OPENAPI.paths as unknown as Record<string, Record<string, Op>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ label: `${method.toUpperCase()} ${path}`, op })),
);

it('documents every route the app serves, and serves the document', async () => {
  const h = makeHarness();
  const served = h.app.routes
    .filter((r) => r.method !== 'ALL')
    // the web console's page and assets are not API operations (docs/console.md)
    .filter((r) => !r.path.startsWith('/console'))
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}').replace(/\/$/, '')}`);
  const documented = Object.entries(OPENAPI.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
  expect(new Set(served)).toEqual(new Set(documented));
  const res = await h.call('GET', '/openapi.json');
  expect(res.json.openapi).toBe('3.1.0');
});

describe('the document is consistent with itself and with the code table', () => {
  it('every operation has a unique operationId; every link names one and its parameters', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(operations.map((o) => [o.op.operationId, o.op]));
    let links = 0;
    for (const { label, op } of operations) {
      for (const response of Object.values(op.responses)) {
        for (const [name, link] of Object.entries(response.links ?? {})) {
          const target = byId.get(link.operationId);
          expect(target, `${label} link ${name}`).toBeDefined();
          for (const p of Object.keys(link.parameters)) expect(target!.parameters?.map((x) => x.name), `${label} link ${name}`).toContain(p);
          links++;
        }
      }
    }
    expect(links).toBeGreaterThanOrEqual(6);
  });

  it('every error response is problem+json whose codes have that status in errors.ts; every 503 documents Retry-After', () => {
    for (const { label, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.['application/problem+json']?.schema;
        expect(schema, `${label} ${status}`).toBeDefined();
        expect(schema.properties.status.const).toBe(Number(status));
        for (const code of schema.properties.code.enum as ErrorCode[]) expect(STATUS[code], `${label} ${status} ${code}`).toBe(Number(status));
        if (status === '503') expect(response.headers, `${label} 503`).toHaveProperty('Retry-After');
      }
    }
  });

  it('every body route answers 400, 413 and 415; every route with query parameters answers 400', () => {
    for (const { label, op } of operations) {
      const codes = Object.values(op.responses).flatMap((r) => (r.content?.['application/problem+json']?.schema.properties.code.enum as string[]) ?? []);
      if (op.requestBody) expect(codes, label).toEqual(expect.arrayContaining(['INVALID_INPUT', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']));
      if (op.parameters?.some((p) => p.in === 'query')) expect(codes, label).toContain('INVALID_INPUT');
    }
  });

  it('names the answers the contract review found missing', () => {
    const r = (path: string, method = 'get') => (OPENAPI.paths as any)[path][method].responses;
    expect(Object.keys(r('/v1/audit/blocks/{block_id}/package')['200'].content)).toEqual(['application/json', 'application/x-ndjson']);
    expect(r('/v1/audit/blocks/{block_id}/package')['400']).toBeDefined();
    expect(r('/v1/audit/blocks/{block_id}')['409']).toBeDefined();
    expect(r('/v1/audit/checkpoint')['503']).toBeDefined();
    expect(r('/v1/sessions/{session_id}/authorize', 'post')['413']).toBeDefined();
    expect(r('/v1/cap-profile', 'put')['422']).toBeDefined();
    expect((OPENAPI.components.responses.MethodNotAllowed.headers as Record<string, unknown>).Allow).toBeDefined();
  });
});
