import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config.ts';
import { normalizePath, withinRoots } from './paths.ts';
import { projectArguments } from './projection.ts';

const schema = { properties: { path: {}, paths: {}, content: {}, head: {}, ratio: {}, flag: {}, nested: {} } };
const options = { pathArguments: ['path', 'paths'], roots: ['/srv/data'], sha256 };

describe('path projection', () => {
  it('resolves `.` and repeated slashes, and checks roots lexically', () => {
    expect(normalizePath('/srv//data/./a/')).toEqual({ ok: true, path: '/srv/data/a' });
    expect(withinRoots('/srv/data/a', ['/srv/data'])).toBe(true);
    expect(withinRoots('/srv/data', ['/srv/data'])).toBe(true);
    expect(withinRoots('/srv/database', ['/srv/data'])).toBe(false);
  });

  it.each([
    ['/srv/data/../etc', '`..` segment'],
    ['/srv/data/\uff0e\uff0e/etc', '`..` segment'],
    ['/srv/data/a\u202eb', 'bidirectional'],
    ['/srv/data/a\u2066b', 'bidirectional'],
    ['/srv/data/a\u200db', 'zero-width'],
    ['/srv/data/a\nb', 'control'],
    ['/srv/data/e\u0301', 'NFC'],
    ['srv/data/a', 'not absolute'],
    ['~/a', 'starts with `~`'],
    ['/srv/data\\..\\etc', 'backslash'],
    ['', 'empty'],
  ])('refuses %j (%s)', (raw, why) => {
    const r = normalizePath(raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toContain(why);
  });
});

describe('argument projection', () => {
  it('copies declared short strings, safe integers and booleans; omits the rest; digests all of it', () => {
    const args = { path: '/srv/data/a.txt', content: 'x'.repeat(300), head: 10, ratio: 0.5, flag: true, nested: { a: 1 } };
    const p = projectArguments(args, schema, options);
    expect(p.problems).toEqual([]);
    expect(p.context).toMatchObject({ arguments_valid: true, args: { head: 10, flag: true }, args_omitted: ['content', 'nested', 'ratio'], path: '/srv/data/a.txt', paths: ['/srv/data/a.txt'], paths_within_roots: true });
    expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // the digest is over the JCS form: key order does not change it
    expect(projectArguments(Object.fromEntries(Object.entries(args).reverse()), schema, options).digest).toBe(p.digest);
  });

  it('marks undeclared arguments, bidirectional text anywhere, and bad path lists as problems', () => {
    expect(projectArguments({ path: '/srv/data/a', extra: 1 }, schema, options).problems).toEqual(['argument `extra` is not declared by the tool']);
    expect(projectArguments({ content: 'ok \u202e evil' }, schema, options).problems[0]).toMatch(/bidirectional/);
    expect(projectArguments({ nested: { k: '\u200b' } }, schema, options).problems[0]).toMatch(/bidirectional/);
    expect(projectArguments({ paths: ['/srv/data/a', 3] }, schema, options).problems[0]).toMatch(/not a string or a list of strings/);
    expect(projectArguments([1, 2], schema, options).context.arguments_valid).toBe(false);
  });

  it('a path outside the roots is no problem of the projection: the policy decides on paths_within_roots', () => {
    const p = projectArguments({ paths: ['/srv/data/a', '/etc/passwd'] }, schema, options);
    expect(p.problems).toEqual([]);
    expect(p.context.paths_within_roots).toBe(false);
  });
});

describe('gateway config', () => {
  const ok = { agent: { id: 'a' }, upstreams: { fs: { command: 'node' } } };
  it('defaults to the embedded kernel', () => {
    expect(parseGatewayConfig(ok).kernel).toEqual({ mode: 'embedded', store_thread: 'main' });
  });
  it.each([
    [{ ...ok, extra: 1 }, /^the file: Unrecognized key/],
    [{ agent: { id: 'a' }, upstreams: {} }, /^`upstreams`: name at least one upstream server/],
    [{ ...ok, upstreams: { fs: { url: 'ftp://x' } } }, /^`upstreams.fs.url`: Invalid URL/],
    [{ ...ok, kernel: { mode: 'remote', url: 'http://127.0.0.1:8787' } }, /`agent.key` is required with a remote kernel/],
    [{ ...ok, kernel: { mode: 'remote', url: 'http://k' }, agent: { id: 'a', key: 'k.jwk' }, profile: { signed: 'p.json' } }, /`profile` is for the embedded kernel/],
  ])('refuses a bad file in one line (%#)', (value, message) => {
    expect(() => parseGatewayConfig(value)).toThrow(message);
  });
});
