/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on any
 * line the format does not allow, a sample before its `# TYPE`, a family split in two, a
 * duplicate series, a histogram whose buckets are not cumulative or lack `le="+Inf"` equal to
 * `_count`, or text that does not end in a newline.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; type: string; help: string; samples: Sample[] };

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | null = null;
  const series = new Set<string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const fail = (why: string) => {
        throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
      };
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name, rest] = m as unknown as [string, string, string, string];
        if (!METRIC.test(name)) fail('bad metric name');
        if (closed.has(name)) fail('family appears twice');
        if (current && current.name !== name) {
          closed.add(current.name);
          current = null;
        }
        current ??= families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
        families.set(name, current);
        if (kind === 'TYPE') {
          if (!TYPES.has(rest)) fail('unknown type');
          if (current.samples.length > 0) fail('TYPE after samples');
          current.type = rest;
        } else current.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
        return;
      }
      if (line === '') fail('blank line');
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^]*\})? (\S+)( -?\d+)?$/.exec(line);
      if (!m) fail('malformed sample');
      const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
      if (!current) fail('sample without a # TYPE');
      const fam = current as Family;
      const suffix = name.slice(fam.name.length);
      if (!name.startsWith(fam.name) || !(SUFFIXES[fam.type] ?? ['']).includes(suffix)) fail(`sample does not belong to family ${fam.name}`);
      const labels = parseLabels(labelText ?? '', fail);
      const value = parseValue(valueText, fail);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(key)) fail('duplicate series');
      series.add(key);
      fam.samples.push({ name, labels, value });
    });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === '') return labels;
  let rest = text.slice(1, -1);
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
    if (!m) fail('malformed labels');
    const [all, name, raw, comma] = m as unknown as [string, string, string, string];
    if (!LABEL.test(name) || name in labels) fail(`bad or repeated label ${name}`);
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
    if (comma === '' && rest.length > 0) fail('labels not separated by commas');
  }
  return labels;
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`bad value ${text}`);
  return Number(text);
}

function checkHistogram(f: Family): void {
  const buckets = f.samples.filter((s) => s.name === `${f.name}_bucket`);
  const count = f.samples.find((s) => s.name === `${f.name}_count`);
  if (!f.samples.some((s) => s.name === `${f.name}_sum`) || !count) throw new Error(`histogram ${f.name} lacks _sum or _count`);
  let le = -Infinity;
  let cumulative = 0;
  for (const b of buckets) {
    const bound = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
    if (b.labels.le === undefined || Number.isNaN(bound) || bound <= le) throw new Error(`histogram ${f.name}: buckets not in ascending le order`);
    if (b.value < cumulative) throw new Error(`histogram ${f.name}: bucket le=${b.labels.le} is not cumulative`);
    le = bound;
    cumulative = b.value;
  }
  if (le !== Infinity) throw new Error(`histogram ${f.name} lacks le="+Inf"`);
  if (cumulative !== count.value) throw new Error(`histogram ${f.name}: +Inf bucket ${cumulative} differs from _count ${count.value}`);
}

/** The value of one series, or undefined. */
export function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length);
    if (s) return s.value;
  }
  return undefined;
}
