import { ApiError, call, getJson, hasRole } from '../api.ts';
import { badge, h, mount, short, table } from '../dom.ts';

type Entry = {
  seq: number;
  kind: string;
  id: string;
  revoked_at: string;
  revocation_type: 'DIRECT' | 'CASCADE';
  cascade_root?: string;
  source: 'LOCAL' | 'CAEP';
  originating_kernel?: string;
  event_id?: string;
  subject?: { agent_id?: string; xpid?: string };
  reason?: string;
  revoking_principal?: string;
};
type Feed = { sequence: number; revocations: Entry[]; next_since?: number };
type RevocationEvent = {
  event_id: string;
  kind: string;
  id: string;
  state: 'PENDING' | 'CLEAN' | 'PARTIAL' | 'UNKNOWN';
  started_at: string;
  after_retry: boolean;
  receivers: { stream_id: string; aud: string; method: string; acknowledged: boolean; acked_ms: number | null; attempts: number }[];
};

const KINDS = ['XPID', 'MANDATE_JTI', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT'] as const;
/** The registry and the completion states are read again this often (PENDING turns PARTIAL at 30 s). */
const REFRESH_MS = 2000;

const stateBadge = (s: RevocationEvent['state']) => badge(s, s === 'CLEAN' ? 'ok' : s === 'PARTIAL' ? 'warn' : s === 'UNKNOWN' ? 'bad' : 'info');

/**
 * Revocations (docs/revocation.md): the registry feed, the revocation events this kernel
 * originated with their completion state (CLEAN / PARTIAL / UNKNOWN), and, for the operator role,
 * a form that adds an entry.
 */
export function revocationsPage(main: HTMLElement): () => void {
  const writer = hasRole('operator');
  const note = h('p', { role: 'status', 'data-testid': 'revocation-note' });
  const events = h('div', {}, h('p', {}, 'Loading…'));
  const registry = h('div', {}, h('p', {}, 'Loading…'));
  const entries: Entry[] = [];
  let since = 0;

  const kind = h('select', { id: 'rv-kind' }, ...KINDS.map((k) => h('option', { value: k }, k)));
  const id = h('input', { id: 'rv-id', type: 'text', required: true, maxlength: 512, spellcheck: 'false', autocomplete: 'off', size: 48 });
  const reason = h('input', { id: 'rv-reason', type: 'text', maxlength: 1024, size: 48 });
  const form = writer
    ? h(
        'form',
        {
          'aria-labelledby': 'rv-add',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void (async () => {
              try {
                const r = reason.value.trim();
                const entry = (await (await call('POST', '/v1/revocations', { kind: kind.value, id: id.value.trim(), ...(r ? { reason: r } : {}) })).json()) as Entry;
                mount(note, `${entry.kind} ${entry.id} revoked (entry ${entry.seq})`);
                id.value = '';
                reason.value = '';
              } catch (err) {
                mount(note, err instanceof ApiError ? `Refused: ${err.message}` : String(err));
              }
              await draw();
            })();
          },
        },
        h('div', { class: 'row' },
          h('label', { for: 'rv-kind' }, 'Kind'), kind,
          h('label', { for: 'rv-id' }, 'Identifier'), id,
          h('label', { for: 'rv-reason' }, 'Reason'), reason,
          h('button', { type: 'submit', class: 'danger', 'data-testid': 'revoke-submit' }, 'Revoke'),
        ),
      )
    : h('p', {}, 'Read only: adding a revocation needs the operator role.');

  mount(
    main,
    h('h1', {}, 'Revocations'),
    h('section', {}, h('h2', { id: 'rv-add' }, 'Add a revocation'), form, note),
    h('section', {}, h('h2', {}, 'Revocation events'), h('p', {}, 'What this kernel revoked and sent to its SSF receivers, newest first: CLEAN once every receiver acknowledged, PARTIAL when some had not within 30 s (retried), UNKNOWN when the receivers cannot be enumerated. Kept across restarts (the SSF outbox: what a receiver has not acknowledged is delivered after a restart); each state is a REVOCATION_PROPAGATION record of the kernel journal.'), events),
    h('section', {}, h('h2', {}, 'Registry'), h('p', {}, 'Every entry, LOCAL or received over CAEP, newest first (the feed resource providers poll: ', h('code', {}, 'GET /v1/revocations'), ').'), registry),
  );

  const drawEvents = async () => {
    try {
      const list = (await getJson<{ events: RevocationEvent[] }>('/v1/revocations/events')).events;
      mount(
        events,
        list.length === 0
          ? h('p', {}, 'No revocation event yet.')
          : table(
              `${list.length} revocation events`,
              ['Event', 'Kind', 'Identifier', 'State', 'Started', 'Receivers'],
              list.map((e) => [
                h('code', { title: e.event_id }, short(e.event_id, 18)),
                e.kind,
                h('code', {}, e.id),
                h('span', { 'data-event-state': e.id }, stateBadge(e.state), e.after_retry ? ' after retry' : null),
                e.started_at,
                e.receivers.length === 0
                  ? 'none'
                  : h('ul', {}, ...e.receivers.map((r) => h('li', {}, `${r.aud} (${r.method.endsWith('8936') ? 'poll' : 'push'}): ${r.acknowledged ? `acknowledged after ${r.acked_ms} ms` : 'not acknowledged'}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`))),
              ]),
              'revocation-events',
            ),
      );
    } catch (e) {
      mount(events, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  };

  const drawRegistry = async () => {
    try {
      for (;;) {
        const page = await getJson<Feed>(`/v1/revocations?since=${since}`);
        entries.push(...page.revocations);
        since = page.next_since ?? page.sequence;
        if (page.next_since === undefined || page.revocations.length === 0) break;
      }
      const newest = [...entries].reverse();
      mount(
        registry,
        newest.length === 0
          ? h('p', {}, 'The registry is empty.')
          : table(
              `${newest.length} registry entries`,
              ['#', 'Kind', 'Identifier', 'Source', 'Type', 'Revoked at', 'Subject', 'Reason', 'By'],
              newest.map((e) => [
                String(e.seq),
                e.kind,
                h('code', { 'data-entry': e.id }, e.id),
                e.source === 'CAEP' ? `CAEP from ${e.originating_kernel ?? '?'}` : 'LOCAL',
                e.revocation_type === 'CASCADE' ? `CASCADE from ${e.cascade_root ?? '?'}` : 'DIRECT',
                e.revoked_at,
                e.subject ? [e.subject.agent_id, e.subject.xpid].filter(Boolean).join(' · ') : '—',
                e.reason ?? '',
                e.revoking_principal ?? '',
              ]),
              'registry',
            ),
      );
    } catch (e) {
      mount(registry, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  };

  let busy = false;
  let again = false;
  const draw = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        await Promise.all([drawEvents(), drawRegistry()]);
      } while (again);
    } finally {
      busy = false;
    }
  };
  void draw();
  const timer = setInterval(() => void draw(), REFRESH_MS);
  return () => clearInterval(timer);
}
