import { ApiError, call, getJson, hasRole } from '../api.ts';
import { badge, h, mount, table } from '../dom.ts';
import { readEvents } from '../sse.ts';

type Ref = { type: string; id: string };
const ref = (r: Ref) => `${r.type}::"${r.id}"`;

type Escalation = {
  hem_id: string;
  hem_class: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'TIMEOUT_DENY';
  created_at: string;
  expires_at: string;
  session_id: string;
  agent_id: string;
  principal: Ref;
  action: Ref;
  resource: Ref;
  cedar_policy_id: string;
  ale_seq: number;
  resolution: { approver: string | null; resolved_at: string; comment: string | null } | null;
};

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'] as const;
/** Without the event stream (auditors may not follow it): how often the queue is read again. */
const REFRESH_MS = 5000;

const statusBadge = (s: Escalation['status']) => badge(s, s === 'PENDING' ? 'info' : s === 'APPROVED' ? 'ok' : s === 'REJECTED' ? 'bad' : 'warn');

/**
 * Escalations (docs/hem.md): the HEM queue, live through `GET /v1/hem/events` for approvers and
 * operators (auditors read it every 5 s); approve or reject with a comment for the approver role.
 */
export function escalationsPage(main: HTMLElement): () => void {
  const approver = hasRole('approver');
  const follows = hasRole('approver', 'operator');
  const filter = h('select', { id: 'hem-status' }, h('option', { value: '' }, 'all'), ...STATUSES.map((s) => h('option', { value: s, selected: s === 'PENDING' }, s)));
  const streamState = h('span', { 'data-testid': 'hem-stream-state' }, follows ? 'connecting' : `read every ${REFRESH_MS / 1000} s`);
  const note = h('p', { role: 'status', 'data-testid': 'hem-note' });
  const body = h('div', { class: 'scroll' }, h('p', {}, 'Loading…'));
  /** What an approver typed, kept across redraws (a new escalation arriving redraws the table). */
  const comments = new Map<string, string>();
  mount(
    main,
    h('h1', {}, 'Escalations'),
    h('p', {}, 'Actions a policy holds for a human decision (HEM). The agent retries with the escalation\'s ', h('code', {}, 'hem_id'), ' once it is answered; only an approver\'s answer, recorded by the kernel, can turn it into a PERMIT.'),
    h('div', { class: 'row' }, h('label', { for: 'hem-status' }, 'Status'), filter, h('span', {}, 'Live: '), streamState),
    approver ? null : h('p', {}, 'Read only: approving and rejecting need the approver role.'),
    note,
    body,
  );

  const answer = async (e: Escalation, verdict: 'approve' | 'reject') => {
    const comment = (comments.get(e.hem_id) ?? '').trim();
    try {
      await call('POST', `/v1/hem/escalations/${encodeURIComponent(e.hem_id)}/${verdict}`, comment ? { comment } : {});
      comments.delete(e.hem_id);
      mount(note, `${e.hem_id} ${verdict === 'approve' ? 'approved' : 'rejected'}`);
    } catch (err) {
      mount(note, err instanceof ApiError ? `Refused: ${err.message}` : String(err));
    }
    await draw();
  };

  const actions = (e: Escalation) => {
    if (!approver || e.status !== 'PENDING') return '—';
    const input = h('input', { type: 'text', size: 20, maxlength: 2048, placeholder: 'comment (optional)', 'aria-label': `Comment on ${e.hem_id}`, 'data-comment': e.hem_id, value: comments.get(e.hem_id) ?? '' });
    input.addEventListener('input', () => comments.set(e.hem_id, input.value));
    return h('span', { class: 'row' },
      input,
      h('button', { type: 'button', 'data-action': 'approve', 'aria-label': `Approve ${e.hem_id}`, onclick: () => void answer(e, 'approve') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', 'data-action': 'reject', 'aria-label': `Reject ${e.hem_id}`, onclick: () => void answer(e, 'reject') }, 'Reject'),
    );
  };

  const resolution = (e: Escalation) => (e.resolution ? h('span', {}, `${e.resolution.approver ?? '(timeout)'} at ${e.resolution.resolved_at}`, e.resolution.comment ? h('br') : null, e.resolution.comment ? `“${e.resolution.comment}”` : null) : '—');

  let drawing: Promise<void> | null = null;
  let again = false;
  const draw = async (): Promise<void> => {
    if (drawing) {
      again = true;
      return drawing;
    }
    drawing = (async () => {
      do {
        again = false;
        try {
          const q = filter.value ? `?status=${filter.value}` : '';
          const { escalations } = await getJson<{ escalations: Escalation[] }>(`/v1/hem/escalations${q}`);
          // keep focus in a comment field across the redraw
          const focused = (document.activeElement as HTMLElement | null)?.dataset?.comment;
          mount(
            body,
            escalations.length === 0
              ? h('p', { 'data-testid': 'hem-empty' }, `No ${filter.value ? `${filter.value} ` : ''}escalation.`)
              : table(
                  `${escalations.length} escalations, newest first`,
                  ['Escalation', 'Status', 'Decide', 'Class', 'Agent', 'Principal', 'Action', 'Resource', 'Policy', 'Opened', 'Expires', 'Answer'],
                  escalations.map((e) => [h('code', { 'data-hem': e.hem_id }, e.hem_id), h('span', { 'data-hem-status': e.hem_id }, statusBadge(e.status)), actions(e), e.hem_class, e.agent_id, ref(e.principal), ref(e.action), ref(e.resource), e.cedar_policy_id, e.created_at, e.expires_at, resolution(e)]),
                  'escalations',
                ),
          );
          if (focused) body.querySelector<HTMLInputElement>(`input[data-comment="${CSS.escape(focused)}"]`)?.focus();
        } catch (e) {
          mount(body, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
        }
      } while (again);
    })();
    try {
      await drawing;
    } finally {
      drawing = null;
    }
  };
  filter.addEventListener('change', () => void draw());

  const abort = new AbortController();
  let timer: ReturnType<typeof setInterval> | undefined;
  if (follows) {
    void readEvents('/v1/hem/events', abort.signal, (name) => {
      if (name === 'hem_triggered' || name === 'hem_resolved') void draw();
    }, (s) => {
      mount(streamState, s);
      // subscribed: read the queue once more, so nothing raised before the subscription is missed
      if (s === 'connected') void draw();
    });
  } else {
    timer = setInterval(() => void draw(), REFRESH_MS);
  }
  void draw();
  return () => {
    abort.abort();
    if (timer) clearInterval(timer);
  };
}
