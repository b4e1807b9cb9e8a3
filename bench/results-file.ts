/**
 * Writes a benchmark's measured section into its RESULTS.md between the markers
 * `<!-- measured ... -->` and `<!-- /measured -->`, keeping every word outside them: the
 * hand-written analysis of earlier sessions survives a re-run. A file without markers gets
 * them appended (its text kept above); a missing file is created with `title`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const MARKED = /<!-- measured[\s\S]*?<!-- \/measured -->/;

export function writeMeasured(file: string, title: string, body: string, command: string): string {
  const measured = `<!-- measured: written by \`${command}\`; the text outside these markers is kept -->\n${body.trim()}\n<!-- /measured -->`;
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : `# ${title}\n\n`;
  const report = MARKED.test(previous) ? previous.replace(MARKED, () => measured) : `${previous.trimEnd()}\n\n${measured}\n`;
  writeFileSync(file, report);
  return measured;
}
