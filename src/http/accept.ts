/**
 * HTTP content negotiation (RFC 9110 §12.5.1) for a route that answers one media type: whether
 * the request's `Accept` admits it. No `Accept` admits everything; a range that names the type,
 * its `type/*` or `*\/*` admits it unless its `q` is 0; the most specific matching range decides
 * (`application/soos-acd+json;q=0, *\/*` refuses).
 *
 * @example
 * accepts('application/json, application/*;q=0.5', 'application/soos-acd+json'); // true
 * accepts('text/html', 'application/soos-acd+json'); // false
 */
export function accepts(header: string | undefined, mediaType: string): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [type, subtype] = mediaType.toLowerCase().split('/') as [string, string];
  let best: { specificity: number; q: number } | null = null;
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const [t, s] = range.split('/');
    if (t === undefined || s === undefined) continue;
    const specificity = t === type && s === subtype ? 2 : t === type && s === '*' ? 1 : t === '*' && s === '*' ? 0 : -1;
    if (specificity < 0) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const weight = Number.isFinite(q) ? q : 0;
    if (best === null || specificity > best.specificity) best = { specificity, q: weight };
  }
  return best !== null && best.q > 0;
}
