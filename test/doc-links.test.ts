/**
 * Every relative link in the documentation (README.md, docs/, examples/) points to a file that
 * exists inside the repository, and every `#anchor` to a heading of its target page. Reads the
 * files present in the checkout and lists every broken link at once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function markdownFiles(dir: string): string[] {
  if (!existsSync(join(repo, dir))) return [];
  return readdirSync(join(repo, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(repo, p)).isDirectory() ? markdownFiles(p) : p.endsWith('.md') ? [p] : [];
  });
}

/** The text outside fenced code blocks and inline code spans, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Inline links `[text](target)` (images too) and reference definitions `[x]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string);
  const defs = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1] as string);
  return [...inline, ...defs];
}

/** GitHub's anchors for the headings of a page (github-slugger's rule, duplicates numbered). */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (m[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with one link of `file`, or null when it resolves. */
export function brokenLink(file: string, target: string, root = repo): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // https:, mailto: …: not a file
  const [path = '', fragment] = target.split('#', 2);
  const abs = path === '' ? join(root, file) : resolve(root, dirname(file), decodeURIComponent(path));
  const rel = relative(root, abs);
  if (rel.startsWith('..') || resolve(root, rel) !== abs) return `${target}: outside the repository`;
  if (!existsSync(abs)) return `${target}: no such file \`${rel}\``;
  if (fragment && abs.endsWith('.md') && !headingAnchors(readFileSync(abs, 'utf8')).has(fragment)) return `${target}: no heading \`#${fragment}\` in \`${rel}\``;
  return null;
}

/** Paths written as code (`../x/y.md`, `./data`): they may name files made at run time, but never outside the repository. */
export function pathMentions(markdown: string): string[] {
  return [...markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/`(\.{1,2}\/[^`\s]*)`/g)].map((m) => m[1] as string);
}

function outside(file: string, path: string, root = repo): boolean {
  return relative(root, resolve(root, dirname(file), path)).startsWith('..');
}

const files = ['README.md', ...markdownFiles('docs'), ...markdownFiles('examples')];

describe('documentation links', () => {
  it('the documentation is there to check', () => {
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('docs/')).length).toBeGreaterThan(0);
  });

  it.each(files)('every relative link in %s resolves inside the repository', (file) => {
    const broken = linkTargets(readFileSync(join(repo, file), 'utf8'))
      .map((t) => brokenLink(file, t))
      .filter((b): b is string => b !== null);
    expect(broken, `broken links in ${file}`).toEqual([]);
  });

  it.each(files)('no path written in %s points outside the repository', (file) => {
    const outsiders = pathMentions(readFileSync(join(repo, file), 'utf8')).filter((p) => outside(file, p));
    expect(outsiders, `paths outside the repository in ${file}`).toEqual([]);
  });

  it('catches a link outside the repository, a missing file and a missing heading', () => {
    expect(linkTargets('see [style](../shared/STYLE.md) and `[not](a-link.md)`\n```\n[no](code.md)\n```\n[ref]: docs/x.md')).toEqual(['../shared/STYLE.md', 'docs/x.md']);
    expect(brokenLink('README.md', '../shared/STYLE.md')).toMatch(/outside the repository/);
    expect(pathMentions('See `../shared/STYLE.md` and `./data`, not `npm start`.')).toEqual(['../shared/STYLE.md', './data']);
    expect(outside('README.md', '../shared/STYLE.md')).toBe(true);
    expect(outside('docs/x.md', '../README.md')).toBe(false);
    expect(brokenLink('README.md', 'docs/no-such-page.md')).toMatch(/no such file/);
    expect(brokenLink('README.md', '#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink('README.md', '#walk-through')).toBeNull();
    expect(brokenLink('README.md', 'https://example.com/x')).toBeNull();
    expect([...headingAnchors('## Set-up: two commands\n## Policy journey: a `signed` CAP Profile\n## A\n## A')]).toEqual([
      'set-up-two-commands', 'policy-journey-a-signed-cap-profile', 'a', 'a-1',
    ]);
  });
});
