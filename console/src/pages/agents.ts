import { ApiError, call, getJson, hasRole } from '../api.ts';
import { badge, h, mount, short, table } from '../dom.ts';

type Agent = { agent_id: string; xpid: string; status: 'ACTIVE' | 'SUSPENDED' | 'REVOKED'; registry_entry_hash: string; registered_by: string; updated_at: string; entry: { display_name?: string; roles?: string[] } };

/** The agent registry; operators suspend, reactivate and revoke (auditors read only). */
export function agentsPage(main: HTMLElement): void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  const note = h('p', { role: 'status', 'data-testid': 'agents-status' });
  mount(main, h('h1', {}, 'Agents'), note, body);
  const writer = hasRole('operator');
  const act = async (label: string, method: string, path: string, payload?: unknown) => {
    try {
      await call(method, path, payload);
      mount(note, label);
    } catch (e) {
      mount(note, e instanceof ApiError ? `Refused: ${e.message}` : String(e));
    }
    await draw();
  };
  const actions = (a: Agent) => {
    if (!writer || a.status === 'REVOKED') return '—';
    const path = `/v1/agents/${encodeURIComponent(a.agent_id)}`;
    return h('span', { class: 'row' },
      a.status === 'ACTIVE'
        ? h('button', { type: 'button', 'data-action': 'suspend', 'aria-label': `Suspend ${a.agent_id}`, onclick: () => void act(`${a.agent_id} suspended`, 'PATCH', path, { status: 'SUSPENDED' }) }, 'Suspend')
        : h('button', { type: 'button', 'data-action': 'reactivate', 'aria-label': `Reactivate ${a.agent_id}`, onclick: () => void act(`${a.agent_id} reactivated`, 'PATCH', path, { status: 'ACTIVE' }) }, 'Reactivate'),
      h('button', {
        type: 'button',
        class: 'danger',
        'data-action': 'revoke',
        'aria-label': `Revoke ${a.agent_id}`,
        onclick: () => {
          if (confirm(`Revoke ${a.agent_id}? This cannot be undone.`)) void act(`${a.agent_id} revoked`, 'POST', `${path}/revoke`);
        },
      }, 'Revoke'),
    );
  };
  const draw = async () => {
    try {
      const { agents } = await getJson<{ agents: Agent[] }>('/v1/agents');
      mount(
        body,
        writer ? null : h('p', {}, 'Read only: suspending and revoking need the operator role.'),
        agents.length === 0
          ? h('p', {}, 'No agent is registered (register with `npm run -s kee -- agent register`).')
          : table(
              `${agents.length} registered agents`,
              ['Agent', 'Name', 'Status', 'XPID', 'Roles', 'Entry hash', 'Registered by', 'Updated', 'Actions'],
              agents.map((a) => [a.agent_id, a.entry.display_name ?? '', h('span', { 'data-status': a.agent_id }, badge(a.status, a.status === 'ACTIVE' ? 'ok' : a.status === 'SUSPENDED' ? 'warn' : 'bad')), h('code', {}, a.xpid), (a.entry.roles ?? []).join(', '), h('code', {}, short(a.registry_entry_hash)), a.registered_by, a.updated_at, actions(a)]),
              'agents',
            ),
      );
    } catch (e) {
      mount(body, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  };
  void draw();
}
