import uPlot from 'uplot';
import { badge, h, mount, table } from '../dom.ts';
import { readEvents } from '../sse.ts';
import type { DecisionEvent } from '../../../src/kernel/decision-feed/feed.ts';

const KEEP_ROWS = 200;
const WINDOW_S = 120;

/** Seconds -> decisions that second: the charts' source. */
class Buckets {
  private readonly bySecond = new Map<number, { permit: number; deny: number; latencies: number[] }>();

  add(e: DecisionEvent): void {
    const s = Math.floor(Date.parse(e.at) / 1000);
    const b = this.bySecond.get(s) ?? { permit: 0, deny: 0, latencies: [] };
    if (e.decision === 'PERMIT') b.permit++;
    else b.deny++;
    b.latencies.push(e.latency_ms);
    this.bySecond.set(s, b);
  }

  /** Series over the last WINDOW_S seconds up to `now`: x, permits/s, denies/s, DENY %, p50, p95, p99. */
  series(now: number): number[][] {
    const end = Math.floor(now / 1000);
    const out: number[][] = [[], [], [], [], [], [], []];
    for (let s = end - WINDOW_S + 1; s <= end; s++) {
      const b = this.bySecond.get(s);
      const n = b ? b.permit + b.deny : 0;
      const sorted = b ? [...b.latencies].sort((x, y) => x - y) : [];
      const q = (p: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) : NaN);
      const cols = [s, b?.permit ?? 0, b?.deny ?? 0, n ? (100 * (b?.deny ?? 0)) / n : NaN, q(0.5), q(0.95), q(0.99)];
      cols.forEach((v, i) => (out[i] as number[]).push(v));
    }
    for (const s of this.bySecond.keys()) if (s <= end - WINDOW_S) this.bySecond.delete(s);
    return out;
  }
}

function chart(title: string, target: HTMLElement, series: uPlot.Series[], yLabel: string): uPlot {
  const opts: uPlot.Options = {
    title,
    width: Math.max(320, Math.min(560, target.clientWidth || 560)),
    height: 200,
    // single seconds with decisions between empty ones show as points
    series: [{}, ...series.map((x) => ({ points: { show: true, size: 5 }, ...x }))],
    axes: [{}, { label: yLabel }],
    scales: { x: { time: true } },
  };
  return new uPlot(opts, [[], ...series.map(() => [])], target);
}

/** The decisions stream, with filters and charts of rate, DENY share and latency percentiles. */
export function livePage(main: HTMLElement): () => void {
  const events: DecisionEvent[] = [];
  const buckets = new Buckets();
  const state = h('span', { 'data-testid': 'stream-state' }, 'connecting…');
  const decisionFilter = h('select', { id: 'f-decision' }, h('option', { value: '' }, 'all'), h('option', { value: 'PERMIT' }, 'PERMIT'), h('option', { value: 'DENY' }, 'DENY'));
  const textFilter = h('input', { id: 'f-text', type: 'search', placeholder: 'agent, action or resource' });
  const rows = h('div', { 'data-testid': 'decisions' });
  const charts = h('div', { class: 'charts' });
  const rate = h('figure', { class: 'chart' });
  const deny = h('figure', { class: 'chart' });
  const latency = h('figure', { class: 'chart' });
  charts.append(rate, deny, latency);
  mount(
    main,
    h('h1', {}, 'Live decisions'),
    h('p', {}, 'Stream: ', state, '. The audit log is the evidence; this view is what the kernel decided, as it decides.'),
    h('section', { 'aria-labelledby': 'h-charts' }, h('h2', { id: 'h-charts' }, 'Last two minutes'), charts),
    h('section', { 'aria-labelledby': 'h-stream' },
      h('h2', { id: 'h-stream' }, 'Decisions'),
      h('div', { class: 'row filters' }, h('label', { for: 'f-decision' }, 'Decision'), decisionFilter, h('label', { for: 'f-text' }, 'Filter'), textFilter),
      rows,
    ),
  );
  const plots = [
    chart('Decisions per second', rate, [{ label: 'PERMIT', stroke: '#1b7a3a' }, { label: 'DENY', stroke: '#b3261e' }], 'per second'),
    chart('DENY rate', deny, [{ label: 'DENY %', stroke: '#b3261e' }], '%'),
    chart('Latency', latency, [{ label: 'p50', stroke: '#1f5fa8' }, { label: 'p95', stroke: '#8a5a00' }, { label: 'p99', stroke: '#6b2fa0' }], 'ms'),
  ];
  const drawRows = () => {
    const want = decisionFilter.value;
    const text = textFilter.value.trim().toLowerCase();
    const shown = events.filter((e) => (!want || e.decision === want) && (!text || `${e.agent_id} ${e.action} ${e.resource} ${e.principal}`.toLowerCase().includes(text)));
    mount(
      rows,
      table(
        `${shown.length} of the last ${events.length} decisions, newest first`,
        ['Time', 'Agent', 'Action', 'Resource', 'Decision', 'Determining policy', 'Latency (ms)', 'Record'],
        shown.map((e) => [e.at.slice(11, 23), e.agent_id, e.action, e.resource, badge(e.decision, e.decision === 'PERMIT' ? 'ok' : 'bad'), e.policy_ids.join(', ') || '(default deny)', e.latency_ms.toFixed(2), `${e.block_id.slice(0, 8)}… #${e.ale_seq}`]),
        'decision-table',
      ),
    );
  };
  const drawCharts = () => {
    const [x, permit, denied, denyPct, p50, p95, p99] = buckets.series(Date.now()) as number[][];
    plots[0]?.setData([x as number[], permit as number[], denied as number[]]);
    plots[1]?.setData([x as number[], denyPct as number[]]);
    plots[2]?.setData([x as number[], p50 as number[], p95 as number[], p99 as number[]]);
  };
  decisionFilter.addEventListener('change', drawRows);
  textFilter.addEventListener('input', drawRows);
  drawRows();
  drawCharts();
  let dirty = false;
  const abort = new AbortController();
  readEvents(
    '/v1/decisions/stream',
    abort.signal,
    (name, data) => {
      if (name !== 'decision') return;
      const e = JSON.parse(data) as DecisionEvent;
      events.unshift(e);
      if (events.length > KEEP_ROWS) events.pop();
      buckets.add(e);
      dirty = true;
    },
    (s) => mount(state, s),
  ).catch((e: unknown) => {
    if (!abort.signal.aborted) mount(state, `stream failed: ${String(e)}`);
  });
  const timer = setInterval(() => {
    if (dirty) drawRows();
    dirty = false;
    drawCharts();
  }, 500);
  return () => {
    abort.abort();
    clearInterval(timer);
    for (const p of plots) p.destroy();
  };
}
