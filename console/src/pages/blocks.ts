import { ApiError, getJson, hasRole } from '../api.ts';
import { badge, facts, h, mount, short, table } from '../dom.ts';
import { packageVerdict, verifyPackageBlob } from '../verify-core.ts';

type OpenSession = { session_id: string; block_id: string; agent_id: string; created_at: string };
type Block = { block_id: string; session_id: string; merkle_root: string; record_count: number; block_close_timestamp: string };
type LogEntry = { index: number; leaf_hash: string; block_id: string; block: Block };
type Checkpoint = { origin: string; size: number; root: string; root_hex: string; note: string };
type PackageJson = { block: Block; records: { leaf_index: number; inclusion_proof: string[]; record: { ale_seq: number; ale_type: string; prev_span_hash: string | null; timestamp: string; agent_id?: string } }[] };

const SHOW = 50;
const SEEN = 'kee.console.checkpoints';

/** Checkpoints this tab has seen, oldest first (the block log over time, as observed). */
function remember(cp: Checkpoint): { size: number; root_hex: string; at: string }[] {
  const seen = JSON.parse(sessionStorage.getItem(SEEN) ?? '[]') as { size: number; root_hex: string; at: string }[];
  const last = seen[seen.length - 1];
  if (!last || last.size !== cp.size || last.root_hex !== cp.root_hex) seen.push({ size: cp.size, root_hex: cp.root_hex, at: new Date().toISOString() });
  sessionStorage.setItem(SEEN, JSON.stringify(seen.slice(-100)));
  return seen;
}

/** The block log (newest blocks, checkpoints over time) and one block's records with their proofs. */
export function blocksPage(main: HTMLElement): void {
  const log = h('div', {}, h('p', {}, 'Loading…'));
  const detail = h('section', { 'aria-labelledby': 'h-block', 'data-testid': 'block-detail' });
  const sessions = h('section', { 'aria-labelledby': 'h-open' }, h('h2', { id: 'h-open' }, 'Open sessions'), h('p', {}, 'Loading…'));
  mount(
    main,
    h('h1', {}, 'Sessions and blocks'),
    h('p', {}, 'Open sessions collect records; closed, they are signed Session Blocks in the block log (docs/audit-log.md).'),
    sessions,
    log,
    detail,
  );
  void (async () => {
    if (!hasRole('operator', 'auditor')) {
      mount(sessions, h('h2', { id: 'h-open' }, 'Open sessions'), h('p', {}, 'Listing open sessions needs the role operator or auditor.'));
      return;
    }
    try {
      const open = await getJson<{ sessions: OpenSession[]; truncated: boolean }>('/v1/sessions?status=OPEN');
      mount(
        sessions,
        h('h2', { id: 'h-open' }, 'Open sessions'),
        open.sessions.length === 0
          ? h('p', {}, 'No session is open.')
          : table(
              `${open.sessions.length}${open.truncated ? ' (of more)' : ''} open sessions, newest first (agent kee-kernel: the kernel journal)`,
              ['Session', 'Agent', 'Opened', 'Block id it will close into'],
              open.sessions.map((x) => [h('code', { 'data-session': x.session_id }, x.session_id), x.agent_id, x.created_at, h('code', {}, x.block_id)]),
              'open-sessions',
            ),
      );
    } catch (e) {
      mount(sessions, h('h2', { id: 'h-open' }, 'Open sessions'), h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  })();
  const open = async (id: string) => {
    mount(detail, h('h2', { id: 'h-block' }, `Block ${id}`), h('p', {}, 'Loading…'));
    try {
      const pkg = await getJson<PackageJson>(`/v1/audit/blocks/${encodeURIComponent(id)}/package`);
      const verdict = h('output', { 'data-testid': 'block-verdict', class: 'verdict warn' }, 'Verifying in this browser…');
      mount(
        detail,
        h('h2', { id: 'h-block' }, `Block ${id}`),
        facts([['Agent', pkg.records[0]?.record.agent_id ?? '—'], ['Session', pkg.block.session_id], ['Closed', pkg.block.block_close_timestamp], ['Records', String(pkg.block.record_count)], ['Merkle root', h('code', {}, pkg.block.merkle_root)]]),
        h('p', {}, verdict),
        table(
          'Records with their chain links and inclusion proofs',
          ['Leaf', 'ale_seq', 'Type', 'Time', 'prev_span_hash (chain link)', 'Inclusion proof'],
          pkg.records.map((e) => [String(e.leaf_index), String(e.record.ale_seq), e.record.ale_type, e.record.timestamp, h('code', {}, short(e.record.prev_span_hash, 16)), h('details', {}, h('summary', {}, `${e.inclusion_proof.length} hashes`), h('ol', {}, ...e.inclusion_proof.map((x) => h('li', {}, h('code', {}, x)))))]),
          'records',
        ),
      );
      const result = await verifyPackageBlob(new Blob([JSON.stringify(pkg)]));
      verdict.className = `verdict ${result.ok ? 'ok' : 'bad'}`;
      mount(verdict, packageVerdict(result));
    } catch (e) {
      mount(detail, h('h2', { id: 'h-block' }, `Block ${id}`), h('p', { role: 'alert' }, e instanceof Error ? e.message : String(e)));
    }
  };
  void (async () => {
    try {
      const cp = await getJson<Checkpoint>('/v1/audit/checkpoint');
      const seen = remember(cp);
      const indexes = [];
      for (let i = cp.size - 1; i >= Math.max(0, cp.size - SHOW); i--) indexes.push(i);
      const entries = await Promise.all(indexes.map((i) => getJson<LogEntry>(`/v1/audit/log/entries/${i}`)));
      mount(
        log,
        h('section', { 'aria-labelledby': 'h-cp' },
          h('h2', { id: 'h-cp' }, 'Checkpoint'),
          facts([['Origin', cp.origin], ['Size', h('span', { 'data-testid': 'log-size' }, String(cp.size))], ['Root', h('code', {}, cp.root_hex)]]),
          h('details', {}, h('summary', {}, 'Signed note'), h('pre', {}, cp.note)),
          table('Checkpoints seen from this tab', ['Seen at', 'Size', 'Root'], [...seen].reverse().map((s) => [s.at, String(s.size), h('code', {}, short(s.root_hex, 24))])),
        ),
        h('section', { 'aria-labelledby': 'h-log' },
          h('h2', { id: 'h-log' }, 'Block log'),
          entries.length === 0
            ? h('p', {}, 'No block is closed yet.')
            : table(
                `The newest ${entries.length} of ${cp.size} blocks`,
                ['Index', 'Block', 'Session', 'Records', 'Closed', 'Leaf hash'],
                entries.map((e) => [String(e.index), h('button', { type: 'button', class: 'link', 'data-block': e.block_id, onclick: () => void open(e.block_id) }, e.block_id), h('code', {}, short(e.block.session_id, 13)), String(e.block.record_count), e.block.block_close_timestamp, h('code', {}, short(e.leaf_hash, 16))]),
                'block-log',
              ),
        ),
      );
    } catch (e) {
      mount(log, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)), badge('unavailable', 'bad'));
    }
  })();
}
