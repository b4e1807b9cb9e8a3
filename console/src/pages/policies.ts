import { ApiError, getJson } from '../api.ts';
import { facts, h, mount } from '../dom.ts';
import { lineDiff, splitPolicies } from '../policy-text.ts';

type ActiveText = { cap_profile_id: string; version: number; cap_profile_hash: string | null; cedar_policy_hash: string; policy_ids: string[]; policies: string };
type CapProfile = { tiers: Record<string, string> };
type Update = { seq: number; doc_id: string; stored_at: string };

/** The Cedar text of a stored signed update: the `policies` of its JWS payload (checked by the kernel when it was accepted). */
async function updateText(seq: number): Promise<string> {
  const u = await getJson<{ jws: { payload: string } }>(`/v1/cap-profile/history/${seq}`);
  const b64 = u.jws.payload.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  const body = JSON.parse(new TextDecoder().decode(bytes)) as { policies?: unknown };
  return typeof body.policies === 'string' ? body.policies : '';
}

/** The active profile's policies by tier with their annotations; a diff against another version's text. */
export function policiesPage(main: HTMLElement): void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  mount(main, h('h1', {}, 'Policies'), body);
  void (async () => {
    try {
      const [active, profile, history] = await Promise.all([getJson<ActiveText>('/v1/cap-profile/policies'), getJson<CapProfile>('/v1/cap-profile'), getJson<{ updates: Update[] }>('/v1/cap-profile/history')]);
      const policies = splitPolicies(active.policies);
      const byTier = new Map<string, typeof policies>();
      for (const p of policies) {
        const tier = p.annotations.tier ?? (p.id ? profile.tiers[p.id] : undefined) ?? 'untiered';
        byTier.set(tier, [...(byTier.get(tier) ?? []), p]);
      }
      const other = h('textarea', { id: 'diff-text', rows: 8, spellcheck: 'false' });
      const otherFile = h('input', { id: 'diff-file', type: 'file', accept: '.cedar,.txt,.json' });
      const diffOut = h('div', { 'data-testid': 'policy-diff' });
      const versionOptions = () => [h('option', { value: 'active' }, `active (v${active.version})`), ...history.updates.map((u) => h('option', { value: String(u.seq) }, `${u.doc_id} (stored ${u.stored_at})`)), h('option', { value: 'other' }, 'the text below')];
      const from = h('select', { id: 'diff-from' }, ...versionOptions());
      const to = h('select', { id: 'diff-to' }, ...versionOptions());
      const prev = history.updates[history.updates.length - 2];
      if (prev) from.value = String(prev.seq);
      else from.value = 'other';
      const textOf = async (choice: string): Promise<string> => {
        if (choice === 'active') return active.policies;
        if (choice !== 'other') return updateText(Number(choice));
        const f = otherFile.files?.[0];
        return pastedPolicies(f ? await f.text() : other.value);
      };
      const showDiff = async () => {
        try {
          const ops = lineDiff(await textOf(from.value), await textOf(to.value));
          mount(diffOut, h('pre', { class: 'diff' }, ...ops.map((o) => h(o.op === '+' ? 'ins' : o.op === '-' ? 'del' : 'span', {}, `${o.op} ${o.line}\n`))));
        } catch (e) {
          mount(diffOut, h('p', { role: 'alert' }, e instanceof Error ? e.message : String(e)));
        }
      };
      mount(
        body,
        facts([['CAP Profile', `${active.cap_profile_id} v${active.version}`], ['Cedar policy hash', h('code', {}, active.cedar_policy_hash)], ['Policies', String(active.policy_ids.length)]]),
        ...[...byTier].sort(([a], [b]) => a.localeCompare(b)).map(([tier, ps]) =>
          h('section', { 'aria-labelledby': `tier-${tier}`, 'data-tier': tier },
            h('h2', { id: `tier-${tier}` }, `Tier ${tier}`),
            ...ps.map((p) =>
              h('article', { class: 'policy' },
                h('h3', {}, p.id ?? '(no id)'),
                Object.keys(p.annotations).length ? facts(Object.entries(p.annotations).map(([k, v]) => [`@${k}`, /^https?:|^urn:/.test(v) ? h('a', { href: v, rel: 'noreferrer' }, v) : v])) : null,
                h('pre', {}, p.text),
              ),
            ),
          ),
        ),
        h('section', { 'aria-labelledby': 'h-diff' },
          h('h2', { id: 'h-diff' }, 'Diff of two versions'),
          h('p', {}, 'Any two of: the active set, each signed update this kernel accepted (', h('code', {}, 'GET /v1/cap-profile/history'), '), or a text pasted or chosen below (Cedar, or JSON with a ', h('code', {}, 'policies'), ' string). Lines only in the first are marked −, lines only in the second +.'),
          h('div', { class: 'row' }, h('label', { for: 'diff-from' }, 'From'), from, h('label', { for: 'diff-to' }, 'to'), to),
          h('label', { for: 'diff-text' }, 'Pasted version'),
          other,
          h('p', {}, h('label', { for: 'diff-file' }, 'Or a file '), otherFile),
          h('button', { type: 'button', 'data-testid': 'show-diff', onclick: () => void showDiff() }, 'Show diff'),
          diffOut,
        ),
      );
    } catch (e) {
      mount(body, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  })();
}

/** A pasted version: Cedar text, or JSON holding it in `policies` (a profile body, `GET /v1/cap-profile/policies`). */
function pastedPolicies(text: string): string {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    const v = JSON.parse(text) as { policies?: unknown };
    return typeof v.policies === 'string' ? v.policies : text;
  } catch {
    return text;
  }
}
