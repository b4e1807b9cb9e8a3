import { authHeaders } from './api.ts';

/**
 * Reads a server-sent event stream with fetch (an EventSource cannot send the bearer token):
 * `onEvent(name, data)` per event, `onState` with `connected`, `disconnected` or the refusal.
 */
export async function readEvents(path: string, signal: AbortSignal, onEvent: (name: string, data: string) => void, onState: (s: string) => void): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal });
  } catch {
    if (!signal.aborted) onState('disconnected');
    return;
  }
  if (!res.ok || !res.body) {
    onState(`the kernel refused the stream (HTTP ${res.status})`);
    return;
  }
  onState('connected');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const lines = block.split('\n');
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        const name = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
        if (data) onEvent(name, data);
      }
    }
  } catch {
    // aborted, or the connection dropped
  }
  if (!signal.aborted) onState('disconnected');
}
