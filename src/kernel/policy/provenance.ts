import type { PolicyEngine, PolicyText } from '../../ports/policy.ts';

/** Where a policy comes from (digest 4.9 step 18: statute → control → policy → decision). */
export type PolicyProvenance = {
  /** The policy's `@id` (Cedar's `policy<n>` when it has none). */
  cedar_policy_id: string;
  /** `@cap_rrs_control_id`, or null. */
  cap_rrs_control_id: string | null;
  /** `@authority_source_uri`, or null. */
  authority_source_uri: string | null;
  /** `@tier`, or null. */
  tier: string | null;
  /** The policy's Cedar text as written in the set (annotations included). */
  text: string;
};

/** One policy (or template) of a Cedar text: its id, annotations and text. */
export type ScannedPolicy = { id: string; annotations: Record<string, string>; text: string };

/**
 * Reads the annotations of every policy of a Cedar text, in order, without evaluating anything:
 * `@name("value")` (or a bare `@name`) before each `permit` / `forbid`, up to the `;` that ends
 * the policy, skipping comments and string literals. Cedar names a policy without `@id`
 * `policy<n>` (its index). Text the engine loaded always parses; on anything unexpected the scan
 * stops and returns what it has (a decision then names no provenance, never a wrong one).
 */
export function scanPolicies(text: string): ScannedPolicy[] {
  const out: ScannedPolicy[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    for (;;) {
      while (i < n && /\s/.test(text[i] as string)) i++;
      if (text.startsWith('//', i)) {
        while (i < n && text[i] !== '\n') i++;
      } else return;
    }
  };
  const readString = (): string | null => {
    if (text[i] !== '"') return null;
    i++;
    let s = '';
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\') {
        const c = text[i + 1] ?? '';
        s += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '0' ? '\0' : c;
        i += 2;
      } else s += text[i++];
    }
    if (i >= n) return null;
    i++;
    return s;
  };
  while (true) {
    skipSpace();
    if (i >= n) break;
    const start = i;
    const annotations: Record<string, string> = {};
    while (text[i] === '@') {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256));
      if (!m) return out;
      i += m[0].length;
      skipSpace();
      let value = '';
      if (text[i] === '(') {
        i++;
        skipSpace();
        const s = readString();
        if (s === null) return out;
        value = s;
        skipSpace();
        if (text[i] !== ')') return out;
        i++;
      }
      annotations[m[0]] = value;
      skipSpace();
    }
    if (!/^(permit|forbid)\b/.test(text.slice(i, i + 7))) return out;
    // to the `;` that ends the policy, outside strings and comments
    while (i < n && text[i] !== ';') {
      if (text[i] === '"') {
        if (readString() === null) return out;
      } else if (text.startsWith('//', i)) {
        while (i < n && text[i] !== '\n') i++;
      } else i++;
    }
    if (i >= n) return out;
    i++;
    out.push({ id: annotations.id ?? `policy${out.length}`, annotations, text: text.slice(start, i) });
  }
  return out;
}

const cache = new WeakMap<PolicyEngine, ReadonlyMap<string, PolicyProvenance>>();

/**
 * The provenance of every policy of a loaded set, by policy id (template-linked policies take
 * their template's annotations), computed once per engine from the text it was loaded from.
 * Empty when the engine keeps no text.
 */
export function provenanceOf(engine: PolicyEngine): ReadonlyMap<string, PolicyProvenance> {
  let map = cache.get(engine);
  if (!map) {
    map = provenanceFromText(engine.source?.());
    cache.set(engine, map);
  }
  return map;
}

export function provenanceFromText(source: PolicyText | undefined): ReadonlyMap<string, PolicyProvenance> {
  const map = new Map<string, PolicyProvenance>();
  if (!source) return map;
  const of = (id: string, p: ScannedPolicy): PolicyProvenance => ({
    cedar_policy_id: id,
    cap_rrs_control_id: p.annotations.cap_rrs_control_id ?? null,
    authority_source_uri: p.annotations.authority_source_uri ?? null,
    tier: p.annotations.tier ?? null,
    text: p.text,
  });
  const scanned = scanPolicies(source.policies);
  for (const p of scanned) map.set(p.id, of(p.id, p));
  for (const link of source.links ?? []) {
    const template = scanned.find((p) => p.id === link.templateId);
    if (template) map.set(link.newId, of(link.newId, template));
  }
  return map;
}

/**
 * The determining policy of a decision: the first of `policyIds` with a `@tier` (the one whose
 * tier the record names as `cap_tier`), else the first; null when none is known.
 */
export function determiningPolicy(engine: PolicyEngine, policyIds: readonly string[], tiers: Readonly<Record<string, string>>): PolicyProvenance | null {
  const id = policyIds.find((p) => tiers[p] !== undefined) ?? policyIds[0];
  if (id === undefined) return null;
  return provenanceOf(engine).get(id) ?? { cedar_policy_id: id, cap_rrs_control_id: null, authority_source_uri: null, tier: tiers[id] ?? null, text: '' };
}
