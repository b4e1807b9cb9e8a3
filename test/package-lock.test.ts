/**
 * package-lock.json is complete: every dependency and optional dependency of every locked
 * package (the root included) resolves to a locked package, as npm would find it from that
 * package's folder. A lock missing, say, deno's `@deno/*` platform packages makes `npm install`
 * rewrite it on a fresh clone and `npm ci` fail on another platform.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type LockEntry = { version?: string; link?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies?: Record<string, string> };
type Lock = { lockfileVersion: number; packages: Record<string, LockEntry> };

/** Where npm finds `name` from the package at `path`: its own node_modules, then each parent's. */
function resolves(packages: Lock['packages'], path: string, name: string): boolean {
  for (let dir = path; ; ) {
    if (packages[`${dir === '' ? '' : `${dir}/`}node_modules/${name}`]) return true;
    if (dir === '') return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

/** The `path -> name` pairs the lock lacks. */
function missingFromLock(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (entry.link) continue;
    const wanted = { ...entry.dependencies, ...entry.optionalDependencies, ...(path === '' ? entry.devDependencies : {}) };
    for (const name of Object.keys(wanted)) if (!resolves(lock.packages, path, name)) missing.push(`${path || '(root)'} -> ${name}`);
  }
  return missing;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

  it('locks every dependency and optional dependency of every locked package (e.g. the @deno/* platform packages)', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    expect(missingFromLock(lock)).toEqual([]);
  });

  it('agrees with package.json', () => {
    const root = lock.packages[''] as LockEntry;
    expect(root.version).toBe(pkg.version);
    expect(root.dependencies).toEqual(pkg.dependencies);
    expect(root.devDependencies).toEqual(pkg.devDependencies);
  });

  it('the check finds a platform package left out', () => {
    const withDeno = Object.entries(lock.packages).find(([, e]) => Object.keys(e.optionalDependencies ?? {}).some((n) => n.startsWith('@deno/')));
    expect(withDeno).toBeDefined();
    const [path, entry] = withDeno as [string, LockEntry];
    const name = Object.keys(entry.optionalDependencies ?? {}).find((n) => n.startsWith('@deno/')) as string;
    const packages = { ...lock.packages };
    for (const key of Object.keys(packages)) if (key.endsWith(`node_modules/${name}`)) delete packages[key];
    expect(missingFromLock({ ...lock, packages })).toEqual([`${path} -> ${name}`]);
  });
});
