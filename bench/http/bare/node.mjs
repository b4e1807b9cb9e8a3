// bench/http ceiling row `node-bare`: the least a Node `node:http` server does for one
// `POST /v1/sessions/{id}/authorize` (read and JSON-parse the body, answer 200 with a JSON body of
// the size and headers of Kee's real answer, answer.json). No policy, no store, no signature.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const answer = JSON.parse(readFileSync(new URL('./answer.json', import.meta.url), 'utf8'));
const route = /^\/v1\/sessions\/[^/]+\/authorize$/;

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return void res.end('ok');
  if (req.method !== 'POST' || !route.test(req.url ?? '')) {
    res.statusCode = 404;
    return void res.end();
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text = JSON.stringify({ ...answer, decision: body.principal ? 'PERMIT' : 'DENY' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
