import { ApiError, getJson } from '../api.ts';
import { facts, h, mount } from '../dom.ts';
import { lineDiff, splitPolicies } from '../policy-text.ts';

type ActiveText = { cap_profile_id: string; version: number; cap_profile_hash: string | null; cedar_policy_hash: string; policy_ids: string[]; policies: string };
type CapProfile = { tiers: Record<string, string> };

/** The active profile's policies by tier with their annotations; a diff against another version's text. */
export function policiesPage(main: HTMLElement): void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  mount(main, h('h1', {}, 'Policies'), body);
  void (async () => {
    try {
      const [active, profile] = await Promise.all([getJson<ActiveText>('/v1/cap-profile/policies'), getJson<CapProfile>('/v1/cap-profile')]);
      const policies = splitPolicies(active.policies);
      const byTier = new Map<string, typeof policies>();
      for (const p of policies) {
        const tier = p.annotations.tier ?? (p.id ? profile.tiers[p.id] : undefined) ?? 'untiered';
        byTier.set(tier, [...(byTier.get(tier) ?? []), p]);
      }
      const other = h('textarea', { id: 'diff-text', rows: 8, spellcheck: 'false' });
      const otherFile = h('input', { id: 'diff-file', type: 'file', accept: '.cedar,.txt,.json' });
      const diffOut = h('div', { 'data-testid': 'policy-diff' });
      const showDiff = async () => {
        const f = otherFile.files?.[0];
        let text = f ? await f.text() : other.value;
        // a CAP Profile body or `GET /v1/cap-profile/policies` JSON: take its Cedar text
        if (text.trimStart().startsWith('{')) {
          try {
            const v = JSON.parse(text) as { policies?: unknown };
            if (typeof v.policies === 'string') text = v.policies;
          } catch {
            // plain text
          }
        }
        const ops = lineDiff(text, active.policies);
        mount(diffOut, h('pre', { class: 'diff' }, ...ops.map((o) => h(o.op === '+' ? 'ins' : o.op === '-' ? 'del' : 'span', {}, `${o.op} ${o.line}\n`))));
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
          h('h2', { id: 'h-diff' }, 'Diff with another version'),
          h('p', {}, 'Paste or choose another version\u2019s Cedar text (or its policies JSON); lines it lacks are marked +, lines only it has are marked −, against the active version.'),
          h('label', { for: 'diff-text' }, 'Other version'),
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
