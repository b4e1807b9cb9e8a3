/**
 * bench/policy/entity-limits: how long one decision takes for the worst entity hierarchies the
 * request limits allow (src/http/entity-graph.ts: depth ≤ MAX_ENTITY_DEPTH, closure ≤
 * MAX_ANCESTOR_LINKS; body ≤ 64 KiB), next to the 900-entity parent chain of issue 12 that they
 * now refuse. Each shape is checked against the real request schema first, then evaluated on the
 * default profile by both engines, on the main thread, as the kernel does.
 * Run: `npx tsx bench/policy/entity-limits.ts [--runs 30]`; prints a Markdown table.
 */
import { cpus, loadavg } from 'node:os';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { MAX_BODY_BYTES } from '../../src/http/body.ts';
import { MAX_ANCESTOR_LINKS, MAX_ENTITY_DEPTH } from '../../src/http/entity-graph.ts';
import { authorizeBody } from '../../src/http/schemas.ts';
import type { AuthorizationRequest } from '../../src/kernel/types.ts';
import { engineFactory } from '../../test/support/harness.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;

type Uid = { type: string; id: string };
type Entity = { uid: Uid; attrs: Record<string, never>; parents: Uid[] };
const g = (id: string): Uid => ({ type: 'G', id });
const entity = (uid: Uid, parents: Uid[]): Entity => ({ uid, attrs: {}, parents });

/** A chain of `n` entities: c0 → c1 → … → c(n−1). */
function chain(n: number): Entity[] {
  return Array.from({ length: n }, (_, i) => entity(g(`c${i}`), i + 1 < n ? [g(`c${i + 1}`)] : []));
}

/** A chain of MAX_ENTITY_DEPTH entities with as many leaves under its bottom as the closure limit allows (each at the deepest). */
function comb(): Entity[] {
  const spine = chain(MAX_ENTITY_DEPTH);
  const spineLinks = (MAX_ENTITY_DEPTH * (MAX_ENTITY_DEPTH - 1)) / 2;
  const leaves = Math.floor((MAX_ANCESTOR_LINKS - spineLinks) / MAX_ENTITY_DEPTH);
  return [...spine, ...Array.from({ length: leaves }, (_, i) => entity(g(`l${i}`), [g('c0')]))];
}

/** MAX_ENTITY_DEPTH layers of `w`, each entity a child of every entity of the layer above. */
function lattice(w: number): Entity[] {
  const out: Entity[] = [];
  for (let l = 0; l < MAX_ENTITY_DEPTH; l++) {
    for (let i = 0; i < w; i++) out.push(entity(g(`L${l}.${i}`), l + 1 < MAX_ENTITY_DEPTH ? Array.from({ length: w }, (_, j) => g(`L${l + 1}.${j}`)) : []));
  }
  return out;
}

function request(entities: Entity[], principal: Uid): Record<string, unknown> {
  return { principal, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'quake' }, context: {}, entities };
}

/** The widest lattice within the closure limit: layer l (of d) reaches (d−1−l)·w ancestors, w² (d−1)d/2 in all. */
const LATTICE_W = Math.floor(Math.sqrt(MAX_ANCESTOR_LINKS / ((MAX_ENTITY_DEPTH * (MAX_ENTITY_DEPTH - 1)) / 2)));

const shapes: [string, Record<string, unknown>][] = [
  ['900-entity chain (issue 12)', request(chain(900), g('c0'))],
  [`chain of ${MAX_ENTITY_DEPTH + 1} (deepest allowed)`, request(chain(MAX_ENTITY_DEPTH + 1), g('c0'))],
  ['comb: deepest chain + leaves up to the closure limit', request(comb(), g('l0'))],
  [`lattice ${MAX_ENTITY_DEPTH}×${LATTICE_W}, fully linked layers`, request(lattice(LATTICE_W), g('L0.0'))],
];

const engines = { 'kee-policy': engineFactory('kee-policy').load(DEFAULT_CAP_PROFILE), 'cedar-wasm': engineFactory('cedar-wasm').load(DEFAULT_CAP_PROFILE) };
const rows: string[] = [];
for (const [name, body] of shapes) {
  const text = JSON.stringify(body);
  const parsed = authorizeBody.safeParse(body);
  const schema = parsed.success ? 'accepted' : `400: ${parsed.error.issues[0]?.message}`;
  const verdict = text.length > MAX_BODY_BYTES ? `413 (body; the schema alone: ${schema})` : schema;
  const req = body as unknown as AuthorizationRequest;
  const cells: string[] = [];
  for (const engine of Object.values(engines)) {
    engine.evaluate(req); // warm
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      engine.evaluate(req);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    cells.push(`${(times[Math.floor(times.length / 2)] as number).toFixed(1)} / ${(times[times.length - 1] as number).toFixed(1)}`);
  }
  const entities = (body.entities as Entity[]).length;
  const edges = (body.entities as Entity[]).reduce((n, e) => n + e.parents.length, 0);
  rows.push(`| ${name} | ${entities} | ${edges} | ${(text.length / 1024).toFixed(1)} KiB | ${verdict} | ${cells.join(' | ')} |`);
}
console.log(`${RUNS} runs each; ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}\n`);
console.log('| shape | entities | parent links | body | verdict | kee-policy ms (median / max) | cedar-wasm ms (median / max) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
