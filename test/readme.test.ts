/**
 * The README works by copy and paste. The shell blocks of its walk-through and policy journey
 * (and the sample profiles' own README) run in bash, in order, in a scratch copy of the
 * repository (links to the sources, a real copy of `package.json`), against a kernel started by
 * the documented `npm start` on a free loopback port. The only rewriting: `localhost:8787` and
 * `127.0.0.1:8787` point at that port. What the documentation shows as output (the `# …` lines
 * right after a command, `…` standing for anything) must appear, in that order, in what the
 * commands print, and every command block must exit 0.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The text under a `## ` heading that starts with `title`, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const parts = markdown.split(/^## /m);
  const found = parts.find((p) => p.startsWith(title));
  if (!found) throw new Error(`no section \`## ${title}\``);
  return found;
}

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** The comment lines that directly follow a command (and each other): the documented output. */
export function documentedOutput(block: string): string[] {
  const out: string[] = [];
  let afterCommand = false;
  for (const line of block.split('\n')) {
    if (line.trim() === '') afterCommand = false;
    else if (line.startsWith('#')) {
      if (afterCommand) out.push(line.replace(/^# ?/, ''));
    } else afterCommand = true;
  }
  return out;
}

/** Each expected line must match in `output`, in order; `…` matches anything on one line. */
function expectInOrder(output: string, expected: string[], what: string): void {
  let at = 0;
  for (const line of expected) {
    const re = new RegExp(line.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?'), 'g');
    re.lastIndex = at;
    const m = re.exec(output);
    expect(m, `${what}: documented output \`${line}\` not found in order in:\n${output}`).not.toBeNull();
    at = (m as RegExpExecArray).index + (m as RegExpExecArray)[0].length;
  }
}

const isServerBlock = (block: string) => /^[^#\n]*\bnpm start\b/m.test(block);

/** The environment of a new terminal: nothing of the test's own kernel, npm or OTel settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(KEE_|OTEL_|npm_|INIT_CWD$|PORT$)/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1' };
}

/** A scratch copy of the repository: what the commands create lands here, not in the checkout. */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kee-readme-'));
  for (const name of ['bin', 'src', 'wasm', 'node_modules', 'examples', 'tsconfig.json', 'tsconfig.entry.json', 'package-lock.json']) {
    symlinkSync(join(repo, name), join(dir, name));
  }
  copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'));
  return dir;
}

type Kernel = { child: ChildProcess; output: () => string; stop: () => Promise<void> };
const kernels: Kernel[] = [];
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(kernels.map((k) => k.stop()));
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

class Journey {
  readonly dir = scratchCopy();
  private kernel: Kernel | null = null;
  readonly port: number;
  constructor(port: number) {
    this.port = port;
    scratch.push(this.dir);
  }

  private localize(block: string): string {
    return block.replace(/\b(localhost|127\.0\.0\.1):8787\b/g, `$1:${this.port}`);
  }

  /** Runs a block as a user pastes it into a terminal (the kernel's in the background). */
  async run(block: string, what: string): Promise<string> {
    if (isServerBlock(block)) return this.start(block, what);
    const script = `exec 2>&1\nset -eo pipefail\n${this.localize(block)}`;
    const { code, out } = await new Promise<{ code: number; out: string }>((done) => {
      execFile('bash', ['-c', script], { cwd: this.dir, env: cleanEnv(), timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout) => {
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
      });
    });
    expect(code, `${what} exited ${code}:\n${block}\n--- output:\n${out}`).toBe(0);
    expectInOrder(out, documentedOutput(block), what);
    return out;
  }

  /** A block that starts the kernel: stop the one running (Ctrl-C), start it, wait for /healthz. */
  private async start(block: string, what: string): Promise<string> {
    await this.kernel?.stop();
    const child = spawn('bash', ['-c', `exec 2>&1\n${this.localize(block)}`], {
      cwd: this.dir, env: { ...cleanEnv(), PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGINT');
      const kill = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    };
    this.kernel = { child, output: () => out, stop };
    kernels.push(this.kernel);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${what}: the kernel exited with ${child.exitCode}:\n${out}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expectInOrder(out, documentedOutput(block), what);
    return out;
  }

  async get(path: string): Promise<Record<string, unknown>> {
    return (await fetch(`http://127.0.0.1:${this.port}${path}`)).json();
  }
}

describe('README by copy and paste', () => {
  it('documents the two set-up commands', () => {
    const setup = shellBlocks(section(readme, 'Set-up'))[0] ?? '';
    expect(setup).toMatch(/^npm install && npm start\b/m);
    expect(setup).toMatch(/^npm install && npm test\b/m);
  });

  it('no command runs `npx kee` (outside the repository npx fetches an unrelated package)', () => {
    const docs = ['README.md', 'examples/profiles/README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    for (const file of docs) {
      const code = [...readFileSync(join(repo, file), 'utf8').matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
      for (const block of code) expect(block, file).not.toMatch(/\bnpx\s+kee\b/);
    }
  });

  it('walk-through, then the policy journey: decisions, offline verification, v1 and v2 pushed', async () => {
    const j = new Journey(await freePort());
    const packageJson = readFileSync(join(j.dir, 'package.json'), 'utf8');
    await j.run('npm start', 'set-up: npm start');

    const walk = shellBlocks(section(readme, 'Walk-through'));
    expect(walk.length).toBeGreaterThan(0);
    let out = '';
    for (const [i, b] of walk.entries()) out += await j.run(b, `walk-through block ${i + 1}`);
    // the decisions, the verification of the saved package and the refusal of a tampered one
    expectInOrder(out, ['"decision":"PERMIT"', '"decision":"DENY"', '"decision":"PERMIT"', 'OK block ', 'FAIL ', 'exit 1'], 'walk-through');
    expect(readFileSync(join(j.dir, 'package.json'), 'utf8'), 'the walk-through overwrote package.json').toBe(packageJson);

    // the two documented invocations of this project's CLI: in the repository, and from elsewhere
    const cli = shellBlocks(section(readme, 'Running the CLI'));
    expect(cli).toHaveLength(1);
    expect(await j.run((cli[0] as string).replaceAll('/path/to/kee', j.dir), 'running the CLI')).toMatch(/usage:[\s\S]*usage:/);
    const elsewhere = mkdtempSync(join(tmpdir(), 'kee-elsewhere-'));
    scratch.push(elsewhere);
    copyFileSync(join(j.dir, 'block-package.json'), join(elsewhere, 'block-package.json'));
    const line = (cli[0] as string).split('\n').find((l) => l.includes('/path/to/kee/bin/kee.mjs')) as string;
    const verify = line.replace('/path/to/kee', repo).replace(/--help.*$/, 'audit verify block-package.json');
    const other = await new Promise<string>((done, fail) => execFile('bash', ['-c', verify], { cwd: elsewhere, env: cleanEnv() }, (err, stdout, stderr) => (err ? fail(new Error(`${verify}: ${stderr}`)) : done(stdout))));
    expect(other).toMatch(/^OK block [0-9a-f]{32}: 5 records/);

    const journey = shellBlocks(section(readme, 'Policy journey'));
    expect(journey.filter(isServerBlock)).toHaveLength(1);
    out = '';
    for (const [i, b] of journey.entries()) out += await j.run(b, `policy journey block ${i + 1}`);
    expectInOrder(out, ['kid ', 'kid ', 'kid ', '"version":1', '"version":2', '"decision":"DENY"'], 'policy journey');
    expect(await j.get('/v1/cap-profile')).toMatchObject({ cap_profile_id: 'jp-disaster-response', version: 2, profile_kind: 'government', signed: true });
    expect(readFileSync(join(j.dir, 'package.json'), 'utf8')).toBe(packageJson);
  }, 600_000);

  it('the sample profiles README: the standard profile, v1 then v2', async () => {
    const doc = readFileSync(join(repo, 'examples', 'profiles', 'README.md'), 'utf8');
    const j = new Journey(await freePort());
    const blocks = shellBlocks(doc);
    expect(blocks.filter(isServerBlock)).toHaveLength(1);
    let out = '';
    for (const [i, b] of blocks.entries()) out += await j.run(b, `examples/profiles block ${i + 1}`);
    expectInOrder(out, ['"version":1', '"version":2'], 'examples/profiles');
    expect(await j.get('/v1/cap-profile')).toMatchObject({ cap_profile_id: 'acme-ops', version: 2, profile_kind: 'standard', signed: true });
  }, 600_000);
});
