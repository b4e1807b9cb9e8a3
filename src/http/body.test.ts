import { describe, expect, it } from 'vitest';
import { approvedGold, classifyGold, makeHarness } from '../../test/support/harness.ts';
import { isDomainError } from '../kernel/errors.ts';
import { DRAIN_BYTES, MAX_BODY_BYTES, readBody } from './body.ts';

/** A body of `total` bytes made on demand, 4 KiB a pull, counting what the reader pulled. */
function countedStream(total: number) {
  const pulled = { bytes: 0, cancelled: false };
  const chunk = new Uint8Array(4096).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      pulled.bytes += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      pulled.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled };
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://kee.test/v1/sessions', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, duplex: 'half' } as RequestInit);

describe('readBody', () => {
  it('stops pulling a body with no Content-Length soon after it passes the limit (1 MiB drained), and cancels it', async () => {
    const { stream, pulled } = countedStream(256 * 1024 * 1024);
    const err = await readBody(post(stream), MAX_BODY_BYTES).catch((e: unknown) => e);
    expect(isDomainError(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(pulled.bytes).toBeLessThanOrEqual(MAX_BODY_BYTES + DRAIN_BYTES + 4096);
    expect(pulled.cancelled).toBe(true);
  });

  it('reads a body a little past the limit to its end (so the client reads its 413), keeping none of the excess', async () => {
    const { stream, pulled } = countedStream(MAX_BODY_BYTES + 64 * 1024);
    const err = await readBody(post(stream), MAX_BODY_BYTES).catch((e: unknown) => e);
    expect(isDomainError(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(pulled).toEqual({ bytes: MAX_BODY_BYTES + 64 * 1024, cancelled: false });
  });

  it('refuses a declared Content-Length past the limit without reading', async () => {
    const { stream, pulled } = countedStream(1024);
    const err = await readBody(post(stream, { 'content-length': String(MAX_BODY_BYTES + 1) }), MAX_BODY_BYTES).catch((e: unknown) => e);
    expect(isDomainError(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(pulled.bytes).toBe(0);
  });

  it('returns a body within the limit whole, across chunks', async () => {
    const { stream } = countedStream(MAX_BODY_BYTES);
    expect((await readBody(post(stream), MAX_BODY_BYTES)).byteLength).toBe(MAX_BODY_BYTES);
  });

  it('through the app: a streamed oversized body is 413 PAYLOAD_TOO_LARGE after at most the limit and the drain are read', async () => {
    const h = makeHarness();
    const { stream, pulled } = countedStream(256 * 1024 * 1024);
    const res = await h.app.request(post(stream));
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('PAYLOAD_TOO_LARGE');
    expect(pulled.bytes).toBeLessThanOrEqual(MAX_BODY_BYTES + DRAIN_BYTES + 4096);
  });
});

describe('JSON bodies are read strictly', () => {
  const opened = async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' });
    return { h, path: `/v1/sessions/${s.session_id}/authorize`, authorize: (text: string) => h.call('POST', `/v1/sessions/${s.session_id}/authorize`, text) };
  };
  const gold = (context: string) => JSON.stringify(classifyGold()).replace('"context":{}', `"context":${context}`);

  it('a duplicate key is 400 MALFORMED_JSON, not last-one-wins (issue 12: it gave PERMIT)', async () => {
    const { authorize } = await opened();
    const r = await authorize(gold('{"human_approval":false,"human_approval":true}'));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('MALFORMED_JSON');
    expect(r.json.detail).toContain('duplicate key `human_approval` in `context`');
  });

  it('a duplicate key at any depth, and at the top, is refused', async () => {
    const { h, authorize } = await opened();
    const deep = JSON.stringify({ ...classifyGold(true), entities: [{ uid: { type: 'Agent', id: 'x' }, attrs: { r: { a: [{ k: 1 }] } }, parents: [] }] }).replace('{"k":1}', '{"k":1,"k":2}');
    expect((await authorize(deep)).json).toMatchObject({ code: 'MALFORMED_JSON', detail: expect.stringContaining('`entities[0].attrs.r.a[0]`') });
    expect((await h.call('POST', '/v1/sessions', '{"agent_id":"a","agent_id":"b"}')).json.code).toBe('MALFORMED_JSON');
  });

  it.each(['9007199254740993', '1e20', '-9007199254740992', '1.0000000000000000001'])('the number %s in context is 400 INVALID_INPUT naming its path (issue 13)', async (n) => {
    const { authorize } = await opened();
    const r = await authorize(gold(`{"limit":${n}}`));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_INPUT');
    expect(r.json.detail).toContain(`\`context.limit\`: the number \`${n}\``);
  });

  it('an unsafe integer in an entity attribute is refused too; 2^53−1 is decided on', async () => {
    const { h, path, authorize } = await opened();
    const approved = await approvedGold(h, path);
    const body = (n: string) => JSON.stringify({ ...approved, entities: [{ uid: { type: 'Agent', id: 'master-ai' }, attrs: { n: 0 }, parents: [] }] }).replace('"n":0', `"n":${n}`);
    expect((await authorize(body('9007199254740993'))).json.detail).toContain('`entities[0].attrs.n`');
    expect((await authorize(body('9007199254740991'))).json.decision).toBe('PERMIT');
  });
});
