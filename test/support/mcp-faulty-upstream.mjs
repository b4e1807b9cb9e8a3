// A deliberately faulty MCP server over stdio, in raw JSON-RPC lines (no SDK, so it can break the
// protocol): `bad_shape` answers a result that is not a CallToolResult, `bad_structured` answers
// structuredContent that breaks its declared outputSchema, `crash` exits before answering,
// `grow` adds the tool `extra` and says so (`notifications/tools/list_changed`) before answering,
// and `fine` and `extra` answer properly. Used by test/mcp-gateway.test.ts.
import { createInterface } from 'node:readline';

const tools = [
  { name: 'fine', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, annotations: { readOnlyHint: true } },
  { name: 'bad_shape', inputSchema: { type: 'object', properties: {} } },
  { name: 'bad_structured', inputSchema: { type: 'object', properties: {} }, outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
  { name: 'crash', inputSchema: { type: 'object', properties: {} } },
  { name: 'grow', inputSchema: { type: 'object', properties: {} } },
];
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize') return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'faulty', version: '1' } } });
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools } });
  if (m.method !== 'tools/call') return send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'no such method' } });
  const name = m.params.name;
  if (name === 'fine') return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: `fine: ${m.params.arguments?.text ?? ''}` }] } });
  if (name === 'bad_shape') return send({ jsonrpc: '2.0', id: m.id, result: { content: 'SECRET-NOT-A-LIST' } });
  if (name === 'bad_structured') return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'SECRET-BAD-STRUCTURED' }], structuredContent: { n: 'not a number' } } });
  if (name === 'crash') process.exit(3);
  if (name === 'grow') {
    if (!tools.some((t) => t.name === 'extra')) tools.push({ name: 'extra', inputSchema: { type: 'object', properties: {} } });
    send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'grown' }] } });
  }
  if (name === 'extra') return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'extra' }] } });
});
