/** One Cedar policy statement of a policy set's text, with its annotations. */
export type PolicyText = { id: string | null; annotations: Record<string, string>; text: string };

/**
 * Splits Cedar text into statements (each ends at a `;` outside strings and comments) and reads
 * their leading `@name("value")` annotations. For display only: Cedar itself parsed the set.
 */
export function splitPolicies(source: string): PolicyText[] {
  const out: PolicyText[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && source[i + 1] === '/') {
      const nl = source.indexOf('\n', i);
      i = nl < 0 ? source.length : nl;
    } else if (c === ';') {
      const text = source.slice(start, i + 1).trim();
      start = i + 1;
      if (text) out.push(withAnnotations(text));
    }
  }
  return out;
}

function withAnnotations(text: string): PolicyText {
  const annotations: Record<string, string> = {};
  for (const m of text.matchAll(/@([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*"((?:[^"\\]|\\.)*)"\s*\))?/g)) annotations[m[1] as string] = m[2] ?? '';
  return { id: annotations.id ?? null, annotations, text };
}

/** A line diff (longest common subsequence) from `a` to `b`: `-` only in a, `+` only in b. */
export function lineDiff(a: string, b: string): { op: ' ' | '-' | '+'; line: string }[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) (lcs[i] as Uint32Array)[j] = x[i] === y[j] ? ((lcs[i + 1] as Uint32Array)[j + 1] as number) + 1 : Math.max((lcs[i + 1] as Uint32Array)[j] as number, (lcs[i] as Uint32Array)[j + 1] as number);
  const out: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', line: x[i] as string });
      i++;
      j++;
    } else if (((lcs[i + 1] as Uint32Array)[j] as number) >= ((lcs[i] as Uint32Array)[j + 1] as number)) out.push({ op: '-', line: x[i++] as string });
    else out.push({ op: '+', line: y[j++] as string });
  }
  while (i < n) out.push({ op: '-', line: x[i++] as string });
  while (j < m) out.push({ op: '+', line: y[j++] as string });
  return out;
}
