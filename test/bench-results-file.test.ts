import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMeasured } from '../bench/results-file.ts';

// A benchmark re-run must replace only its own figures: the analysis written by hand around them
// (earlier sessions' A/B sections) is what the team learns from.
describe('bench RESULTS.md writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kee-results-'));

  it('replaces only the text between the markers', () => {
    const file = join(dir, 'a.md');
    writeFileSync(file, '# t\n\nintro by hand\n\n<!-- measured: old -->\n| old | 1 |\n<!-- /measured -->\n\n## Session 9 A/B\nkept $& $1\n');
    writeMeasured(file, 't', '| new | 2 |', 'npm run bench:x');
    expect(readFileSync(file, 'utf8')).toBe(
      '# t\n\nintro by hand\n\n<!-- measured: written by `npm run bench:x`; the text outside these markers is kept -->\n| new | 2 |\n<!-- /measured -->\n\n## Session 9 A/B\nkept $& $1\n',
    );
  });

  it('appends a marked section to a file without markers and creates a missing file', () => {
    const old = join(dir, 'b.md');
    writeFileSync(old, '# b\n\nhand-written\n');
    writeMeasured(old, 'b', 'figures $&', 'cmd');
    expect(readFileSync(old, 'utf8')).toBe('# b\n\nhand-written\n\n<!-- measured: written by `cmd`; the text outside these markers is kept -->\nfigures $&\n<!-- /measured -->\n');
    const fresh = join(dir, 'c.md');
    writeMeasured(fresh, 'c results', 'x', 'cmd');
    expect(readFileSync(fresh, 'utf8')).toBe('# c results\n\n<!-- measured: written by `cmd`; the text outside these markers is kept -->\nx\n<!-- /measured -->\n');
  });
});
