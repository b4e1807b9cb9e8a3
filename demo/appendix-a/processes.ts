/**
 * The real processes of the Appendix A demo: the kernel (`src/entry/node.ts`, what `npm start`
 * runs), the `kee` CLI run asynchronously, and a small OTLP/HTTP (JSON) collector that receives
 * the kernel's governance spans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type Kernel = { base: string; stop: () => Promise<void>; output: () => string };

/** Starts the kernel on `port` with `env` and resolves once `/healthz` answers 200. */
export async function startKernel(port: number, env: Record<string, string>): Promise<Kernel> {
  const child: ChildProcess = spawn(join('node_modules', '.bin', 'tsx'), ['src/entry/node.ts'], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), s);
    } catch {
      /* already gone */
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signal('SIGTERM');
    const t = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the kernel exited with ${child.exitCode}:\n${out}`);
    const ok = await fetch(`${base}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return { base, stop, output: () => out };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`the kernel did not become healthy in time:\n${out}`);
}

/** Runs `node bin/kee.mjs <args>` to completion without blocking the event loop (the collector keeps answering). */
export function keeCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', ['bin/kee.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A span as received over OTLP/JSON: name, trace id, attributes flattened to plain values, and its resource's attributes. */
export type Span = { name: string; traceId: string; attributes: Record<string, unknown>; resource: Record<string, unknown> };

type OtlpValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: OtlpValue[] } };
type OtlpKv = { key: string; value: OtlpValue };

function plain(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  return null;
}
const attrs = (kvs: OtlpKv[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, plain(kv.value)]));

/** An OTLP/HTTP collector on loopback (`OTEL_EXPORTER_OTLP_ENDPOINT` = `url`); `spans` grows as batches arrive. */
export async function startCollector(): Promise<{ url: string; spans: Span[]; close: () => Promise<void> }> {
  const spans: Span[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      try {
        const batch = JSON.parse(body) as { resourceSpans?: { resource?: { attributes?: OtlpKv[] }; scopeSpans?: { spans?: { name: string; traceId: string; attributes?: OtlpKv[] }[] }[] }[] };
        for (const rs of batch.resourceSpans ?? []) {
          const resource = attrs(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ name: s.name, traceId: s.traceId, attributes: attrs(s.attributes), resource });
        }
      } catch {
        /* not OTLP JSON: ignored */
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, close: () => new Promise<void>((r) => server.close(() => r())) };
}
