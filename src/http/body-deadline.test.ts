import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/support/harness.ts';
import { bodyDeadline } from './body-deadline.ts';

/** A body that sends `head`, then one space every `everyMs` ms, `count` times, then `}`. */
function trickled(head: string, count: number, everyMs: number) {
  const enc = new TextEncoder();
  let sent = 0;
  const state = { sent: () => sent };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode(head));
    },
    async pull(c) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (sent++ < count) c.enqueue(enc.encode(' '));
      else {
        c.enqueue(enc.encode('}'));
        c.close();
      }
    },
  });
  return { stream, state };
}

const post = (body: ReadableStream<Uint8Array> | string) =>
  new Request('http://kee.test/v1/sessions', { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);

describe('bodyDeadline', () => {
  it('a body still trickling in at the deadline is answered 408 REQUEST_TIMEOUT before it is done', async () => {
    const h = makeHarness();
    const { stream, state } = trickled('{"agent_id":"a"', 100, 20);
    const res = await h.app.request(post(stream), {}, bodyDeadline(100));
    expect(res.status).toBe(408);
    expect((await res.json()).code).toBe('REQUEST_TIMEOUT');
    expect(state.sent()).toBeLessThan(100);
  });

  it('a body that arrives in time is read as ever', async () => {
    const h = makeHarness();
    const { stream } = trickled('{"agent_id":"a"', 3, 1);
    expect((await h.app.request(post(stream), {}, bodyDeadline(5_000))).status).toBe(201);
    expect((await h.app.request(post('{"agent_id":"b"}'), {}, bodyDeadline(5_000))).status).toBe(201);
  });

  it('a body that fails mid-stream (the client went away) is 400, not 500', async () => {
    const h = makeHarness();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"agent_id":'));
      },
      pull(c) {
        c.error(new Error('socket hang up'));
      },
    });
    const res = await h.app.request(post(stream));
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toBe('request body could not be read to its end');
  });
});
