import { ApiError, getJson } from '../api.ts';
import { badge, facts, h, mount, short } from '../dom.ts';

type Health = { state: string; runtime: string; conditions: { state: string; reason: string }[] };
type CapProfile = { cap_profile_id: string; version: number; cap_profile_hash: string | null; cedar_policy_hash: string; publishers: string[]; activated_at: string | null; signed: boolean; profile_kind: string | null };
type Manifest = {
  epoch: number;
  issued_at: string;
  conformance_level: string;
  kernel_version: string;
  signing_config: { scheme: string; algorithm: string; public_key: string };
  deployment_constraints: string[];
  hardware_backed: boolean;
  agent_authentication?: string;
};

const REFRESH_MS = 1000;

/** Kernel state and conditions, conformance level, active CAP Profile, Manifest epoch, signing. */
export function overviewPage(main: HTMLElement): () => void {
  const body = h('div', { 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  mount(main, h('h1', {}, 'Overview'), body);
  let alive = true;
  let last = '';
  const draw = async () => {
    try {
      const [health, profile, manifest] = await Promise.all([getJson<Health>('/healthz'), getJson<CapProfile>('/v1/cap-profile'), getJson<Manifest>('/v1/manifest')]);
      if (!alive) return;
      // redraw only on a change: focus and screen readers are left alone in between
      const seen = JSON.stringify([health, profile, manifest]);
      if (seen === last) return;
      last = seen;
      const signingDown = health.conditions.some((c) => c.state === 'SIGNING_SUSPENDED');
      mount(
        body,
        h('section', { 'aria-labelledby': 'h-state' },
          h('h2', { id: 'h-state' }, 'Kernel state'),
          h('p', { class: 'state' }, stateBadge(health.state)),
          health.conditions.length === 0 ? h('p', {}, 'No condition is set.') : h('ul', { 'data-testid': 'conditions' }, ...health.conditions.map((c) => h('li', {}, h('strong', {}, c.state), `: ${c.reason}`))),
          facts([['Runtime', health.runtime], ['Kernel version', manifest.kernel_version], ['Conformance level', h('span', { 'data-testid': 'conformance' }, manifest.conformance_level)], ['Agent authentication', manifest.agent_authentication ?? 'none']]),
        ),
        h('section', { 'aria-labelledby': 'h-profile' },
          h('h2', { id: 'h-profile' }, 'Active CAP Profile'),
          facts([
            ['Id', h('span', { 'data-testid': 'cap-profile-id' }, profile.cap_profile_id)],
            ['Version', String(profile.version)],
            ['Kind', profile.profile_kind ?? 'built-in'],
            ['Signed', profile.signed ? 'yes' : 'no (built-in profile)'],
            ['CAP Profile hash', h('code', {}, profile.cap_profile_hash ?? '—')],
            ['Cedar policy hash', h('code', {}, profile.cedar_policy_hash)],
            ['Publishers', profile.publishers.length ? profile.publishers.join(', ') : '—'],
            ['Activated', profile.activated_at ?? 'at start'],
          ]),
        ),
        h('section', { 'aria-labelledby': 'h-manifest' },
          h('h2', { id: 'h-manifest' }, 'GEC Manifest and signing'),
          facts([
            ['Manifest epoch', h('span', { 'data-testid': 'manifest-epoch' }, String(manifest.epoch))],
            ['Issued', manifest.issued_at],
            ['Signing scheme', `${manifest.signing_config.scheme} (${manifest.signing_config.algorithm})`],
            ['Kernel public key', h('code', {}, short(manifest.signing_config.public_key, 24))],
            ['Deployment', manifest.deployment_constraints.join(', ')],
            ['Hardware backed', manifest.hardware_backed ? 'yes' : 'no'],
            ['Signing / quorum health', signingDown ? badge('SIGNING SUSPENDED (quorum lost)', 'bad') : badge('signing', 'ok')],
          ]),
        ),
      );
    } catch (e) {
      last = '';
      if (alive) mount(body, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : `The kernel did not answer: ${String(e)}`));
    }
  };
  void draw();
  const timer = setInterval(() => void draw(), REFRESH_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
}

function stateBadge(state: string): HTMLElement {
  const b = badge(state, state === 'NORMAL' ? 'ok' : 'bad');
  b.dataset.testid = 'kernel-state';
  return b;
}
