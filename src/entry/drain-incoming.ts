/**
 * What `@hono/node-server` does with a request body its app did not read to the end once the
 * answer is out (its `drainIncoming`, HTTP/1 part, re-stated here for the listeners that answer
 * without it, `authorize-listener.ts`): read and drop the rest so the client, still sending,
 * gets the answer instead of a reset, for at most 500 ms and 64 MiB; past either the socket is
 * closed once its pending writes are out.
 */
import type { IncomingMessage } from 'node:http';

const DRAIN_TIMEOUT_MS = 500;
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const draining = new WeakSet<IncomingMessage>();

export function drainIncoming(incoming: IncomingMessage): void {
  if (incoming.destroyed || draining.has(incoming)) return;
  draining.add(incoming);
  let bytesRead = 0;
  const cleanup = () => {
    clearTimeout(timer);
    incoming.off('data', onData);
    incoming.off('end', cleanup);
    incoming.off('error', cleanup);
  };
  const forceClose = () => {
    cleanup();
    const socket = incoming.socket as (typeof incoming.socket & { destroySoon?: () => void }) | null;
    if (socket && !socket.destroyed) socket.destroySoon?.();
  };
  const timer = setTimeout(forceClose, DRAIN_TIMEOUT_MS);
  timer.unref?.();
  const onData = (chunk: Buffer) => {
    bytesRead += chunk.length;
    if (bytesRead > MAX_DRAIN_BYTES) forceClose();
  };
  incoming.on('data', onData);
  incoming.on('end', cleanup);
  incoming.on('error', cleanup);
  incoming.resume();
}
