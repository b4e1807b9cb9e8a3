// bench/http ceiling rows `bun-bare` and `deno-bare`: the least a `Bun.serve` / `Deno.serve`
// server does for one `POST /v1/sessions/{id}/authorize` (read and JSON-parse the body, answer 200
// with a JSON body of the size and headers of Kee's real answer, answer.json). No policy, no store,
// no signature.
const file = new URL('./answer.json', import.meta.url);
const answer = JSON.parse(globalThis.Bun ? await Bun.file(file).text() : await Deno.readTextFile(file));
const route = /^\/v1\/sessions\/[^/]+\/authorize$/;

async function handle(req) {
  const { pathname } = new URL(req.url);
  if (req.method === 'GET' && pathname === '/healthz') return new Response('ok');
  if (req.method !== 'POST' || !route.test(pathname)) return new Response(null, { status: 404 });
  const body = JSON.parse(await req.text());
  const text = JSON.stringify({ ...answer, decision: body.principal ? 'PERMIT' : 'DENY' });
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
}

const port = Number((globalThis.Bun ? process.env : Deno.env.toObject()).PORT);
if (globalThis.Bun) Bun.serve({ port, hostname: '127.0.0.1', fetch: handle });
else Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, handle);
