/**
 * The warm-up both policy engines run on every policy set before it serves (`PolicyEngine.warm`).
 *
 * A WASM engine compiles its code lazily: the first request that goes through a path (entities
 * parsed against a schema, extension values, records, sets, the evaluator) pays for compiling
 * it, measured at 10–170 ms on a loaded two-core machine, against a 0.2 ms decision once warm.
 * Paid by a real decision, that is a DENY over the time budget. So, before a set is swapped in,
 * its engine decides this known request against this known set (a schema with entity-typed,
 * set, record and extension-typed attributes, entities in the schema-typed form) and must give
 * the known answer, then decides one throw-away request (`WARM_UP_PROBE`) against the set itself.
 * An engine that traps or answers wrongly is refused: the set never serves (fail closed).
 */

/** Cedar schema of the warm-up set. */
export const WARM_UP_SCHEMA = `
entity Team in [Team];
entity Agent in [Team] {
  level: Long, name: String, active: Bool, addr: ipaddr, score: decimal, since: datetime,
  tags: Set<String>, profile: { region: String, home?: ipaddr }, manager?: Agent,
};
entity Incident { owner: Agent, watchers: Set<Agent>, limit: decimal };
action "group";
action "probe" in ["group"] appliesTo {
  principal: Agent, resource: Incident,
  context: { n: Long, src: ipaddr, amount: decimal, tags: Set<String>, rec: { depth: Long }, on?: Agent },
};
`;

/** The warm-up set's policies, by `@id`: one permit that holds, one forbid that does not, one that errors. */
export const WARM_UP_POLICIES: Readonly<Record<string, string>> = {
  'kee-warm-up-permit': `permit (principal in Team::"ops", action in Action::"group", resource is Incident)
when {
  principal == resource.owner && resource.watchers.contains(principal) && principal.level > context.rec.depth &&
  principal.name like "warm*" && principal.active && principal.addr.isInRange(ip("10.0.0.0/8")) &&
  context.src.isLoopback() && principal.score.lessThan(resource.limit) && context.amount.lessThanOrEqual(resource.limit) &&
  principal.since < datetime("2030-01-01T00:00:00Z") && principal.tags.containsAny(context.tags) &&
  principal.profile.region == "eu" && principal.profile has home && principal has manager && principal.manager in Team::"ops"
};`,
  'kee-warm-up-forbid': `forbid (principal, action == Action::"probe", resource) unless { context has on && context.on == principal };`,
  'kee-warm-up-overflow': `forbid (principal, action, resource) when { context.n * 4611686018427387904 > 0 };`,
};

/** The warm-up set as Cedar text, each policy carrying its `@id`. */
export const WARM_UP_POLICY_TEXT = Object.entries(WARM_UP_POLICIES)
  .map(([id, text]) => `@id("${id}")\n${text}`)
  .join('\n');

const agent = { type: 'Agent', id: 'warm' };
const ops = { type: 'Team', id: 'ops' };

/** The known request: entities and context in the schema-typed form (no `__entity` / `__extn` escapes). */
export const WARM_UP_REQUEST = {
  principal: agent,
  action: { type: 'Action', id: 'probe' },
  resource: { type: 'Incident', id: 'i' },
  context: { n: 2, src: '127.0.0.1', amount: '9.5', tags: ['a'], rec: { depth: 1 }, on: agent },
  entities: [
    {
      uid: agent,
      attrs: { level: 3, name: 'warm-up', active: true, addr: '10.1.2.3', score: '1.25', since: '2024-01-01', tags: ['a', 'b'], profile: { region: 'eu', home: '192.168.1.1' }, manager: agent },
      parents: [ops],
    },
    { uid: { type: 'Incident', id: 'i' }, attrs: { owner: agent, watchers: [agent], limit: '10.0' }, parents: [] },
    { uid: ops, attrs: {}, parents: [] },
  ],
};

const entityRef = (uid: { type: string; id: string }) => ({ __entity: uid });
const extension = (fn: string, arg: string) => ({ __extn: { fn, arg } });

/**
 * The same request for a set without a schema: entity references and extension values in
 * Cedar's escaped JSON form, the action hierarchy given as entities. It is decided against the
 * warm-up policies loaded without the schema, and the known answer is the same. A set without a
 * schema reads its requests this way, so its warm-up runs the paths its decisions take, and the
 * schema parser (the largest first-use compilation, paid again by no decision) is left out of
 * the start of a kernel whose profile carries no schema.
 */
export const WARM_UP_REQUEST_UNTYPED = {
  principal: agent,
  action: { type: 'Action', id: 'probe' },
  resource: { type: 'Incident', id: 'i' },
  context: { n: 2, src: extension('ip', '127.0.0.1'), amount: extension('decimal', '9.5'), tags: ['a'], rec: { depth: 1 }, on: entityRef(agent) },
  entities: [
    {
      uid: agent,
      attrs: {
        level: 3, name: 'warm-up', active: true, addr: extension('ip', '10.1.2.3'), score: extension('decimal', '1.25'), since: extension('datetime', '2024-01-01'),
        tags: ['a', 'b'], profile: { region: 'eu', home: extension('ip', '192.168.1.1') }, manager: entityRef(agent),
      },
      parents: [ops],
    },
    { uid: { type: 'Incident', id: 'i' }, attrs: { owner: entityRef(agent), watchers: [entityRef(agent)], limit: extension('decimal', '10.0') }, parents: [] },
    { uid: ops, attrs: {}, parents: [] },
    { uid: { type: 'Action', id: 'probe' }, attrs: {}, parents: [{ type: 'Action', id: 'group' }] },
    { uid: { type: 'Action', id: 'group' }, attrs: {}, parents: [] },
  ],
};

/** What every engine must answer to `WARM_UP_REQUEST`: Cedar allows (the erroring forbid is skipped). */
export const WARM_UP_ANSWER = { allow: true, reasons: ['kee-warm-up-permit'], errorIds: ['kee-warm-up-overflow'] } as const;

/** A request no policy is written for, decided once against each new set; its answer is discarded. */
export const WARM_UP_PROBE = { principal: { type: 'Kee', id: 'warm-up' }, action: { type: 'Action', id: 'kee-warm-up' }, resource: { type: 'Kee', id: 'warm-up' }, context: {} };

/** How many times the known request is decided (the second decision runs the paths the first one filled caches for). */
export const WARM_UP_ROUNDS = 2;

/** Throws unless `got` is the known answer; `engine` names the engine in the message. */
export function checkWarmUpAnswer(engine: string, got: { allow: boolean; reasons: readonly string[]; errorIds: readonly string[] }): void {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const want = WARM_UP_ANSWER;
  if (got.allow !== want.allow || !same([...got.reasons].sort(), want.reasons) || !same([...new Set(got.errorIds)].sort(), want.errorIds)) {
    throw new Error(`${engine} gave a wrong answer to the warm-up request: ${JSON.stringify(got)}`);
  }
}
