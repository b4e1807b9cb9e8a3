/**
 * Path arguments as the policy sees them: lexically resolved POSIX paths, or a problem that
 * refuses the call. Refused: relative paths (the upstream would resolve them against its own
 * working directory), `~` (expanded by some servers to a home directory), backslashes, `..`
 * segments (also after NFKC, so fullwidth dots cannot smuggle one), text that is not NFC (the
 * policy and the file system could disagree on the name), control, bidirectional-override and
 * zero-width characters (a name that reads differently than it is). Symlinks are the
 * upstream's to resolve: the roots checked here are lexical (docs/mcp.md).
 */

/** C0/C1 controls, zero-width and bidirectional formatting characters, BOM. */
export const INVISIBLE_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;
/** Bidirectional formatting and zero-width characters (no legitimate use in tool arguments). */
export const BIDI_OR_ZERO_WIDTH = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

export const MAX_PATH_LENGTH = 4096;

export type PathResult = { ok: true; path: string } | { ok: false; problem: string };

export function normalizePath(raw: string): PathResult {
  const bad = (why: string): PathResult => ({ ok: false, problem: `${why}` });
  if (raw.length === 0) return bad('is empty');
  if (raw.length > MAX_PATH_LENGTH) return bad(`is longer than ${MAX_PATH_LENGTH} characters`);
  if (INVISIBLE_OR_CONTROL.test(raw)) return bad('holds a control, zero-width or bidirectional character');
  if (raw !== raw.normalize('NFC')) return bad('is not in Unicode NFC');
  if (raw.includes('\\')) return bad('holds a backslash');
  if (raw.startsWith('~')) return bad('starts with `~`');
  if (!raw.startsWith('/')) return bad('is not absolute');
  const segments = raw.split('/');
  if (segments.includes('..') || raw.normalize('NFKC').split('/').includes('..')) return bad('has a `..` segment');
  const kept = segments.filter((s) => s !== '' && s !== '.');
  return { ok: true, path: `/${kept.join('/')}` };
}

/** True when `path` (normalized) is one of `roots` (normalized) or below one. */
export function withinRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r === '/' ? '/' : `${r}/`));
}
