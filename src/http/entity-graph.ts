/**
 * Bounds on the entity hierarchy an authorization request may carry, checked before the engine
 * sees it. Cedar computes the transitive closure of the parent graph on every request; its cost
 * grows with the depth of the graph times its size (issue 12: a 900-entity parent chain took
 * 196–429 ms on the main thread). Measured in bench/policy/entity-limits.ts: the worst request
 * these limits allow evaluates well inside the 100 ms budget.
 */

/** Longest chain of parent links (entity → parent → … ) within one request. */
export const MAX_ENTITY_DEPTH = 32;
/** Most (entity, ancestor) pairs in the request's hierarchy: the size of its transitive closure. */
export const MAX_ANCESTOR_LINKS = 5_000;

type Uid = { type: string; id: string };
type Entity = { uid: Uid; parents: Uid[] };

const key = (u: Uid) => `${u.type}\u0000${u.id}`;
const show = (u: Uid) => `${u.type}::${JSON.stringify(u.id)}`;

/**
 * Undefined when `entities` is within the limits; else one sentence naming the limit passed
 * (or the cycle found). Iterative (Kahn's order over parent links), and stops as soon as a
 * limit is passed, so its own work is bounded by the limits.
 */
export function entityGraphProblem(entities: Entity[]): string | undefined {
  const byKey = new Map<string, Entity>();
  for (const e of entities) byKey.set(key(e.uid), e);
  // children waiting on each entity given in the request; parents not given are roots
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const e of entities) {
    const k = key(e.uid);
    let n = 0;
    for (const p of e.parents) {
      const pk = key(p);
      if (!byKey.has(pk)) continue;
      n++;
      (children.get(pk) ?? children.set(pk, []).get(pk)!).push(k);
    }
    waiting.set(k, n);
  }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([k]) => k);
  const ancestors = new Map<string, Set<string>>();
  const depth = new Map<string, number>();
  let links = 0;
  let work = 0;
  let done = 0;
  while (ready.length > 0) {
    const k = ready.pop() as string;
    done++;
    const e = byKey.get(k) as Entity;
    const mine = new Set<string>();
    let d = 0;
    for (const p of e.parents) {
      const pk = key(p);
      mine.add(pk);
      const above = ancestors.get(pk);
      if (above === undefined) {
        d = Math.max(d, 1);
        continue;
      }
      d = Math.max(d, (depth.get(pk) ?? 0) + 1);
      work += above.size;
      if (work > 4 * MAX_ANCESTOR_LINKS) return tooMany();
      for (const a of above) mine.add(a);
    }
    if (d > MAX_ENTITY_DEPTH) return `entity hierarchy deeper than ${MAX_ENTITY_DEPTH} parent links (at ${show(e.uid)})`;
    links += mine.size;
    if (links > MAX_ANCESTOR_LINKS) return tooMany();
    ancestors.set(k, mine);
    depth.set(k, d);
    for (const c of children.get(k) ?? []) {
      const n = (waiting.get(c) as number) - 1;
      waiting.set(c, n);
      if (n === 0) ready.push(c);
    }
  }
  if (done < byKey.size) {
    const stuck = [...waiting].find(([, n]) => n > 0)?.[0] as string;
    return `entity hierarchy has a cycle (through ${show((byKey.get(stuck) as Entity).uid)})`;
  }
  return undefined;
}

function tooMany(): string {
  return `entity hierarchy larger than ${MAX_ANCESTOR_LINKS} (entity, ancestor) links`;
}
