import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Import-boundary rules of STYLE.md 8.1, enforced as a test (the tessera idea). */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const src = files('src').map((p) => ({ path: relative('.', p), text: readFileSync(p, 'utf8') }));
const imports = (text: string) => [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);

describe('architecture', () => {
  it('the kernel imports only the kernel and the ports', () => {
    for (const f of src.filter((f) => f.path.startsWith('src/kernel/'))) {
      for (const spec of imports(f.text)) {
        const ok = spec.startsWith('.') && !/\/(adapters|http|entry|audit-cli)\//.test(join(f.path, '..', spec)) && !spec.includes('wasm/');
        expect(ok, `${f.path} imports ${spec}`).toBe(true);
      }
    }
  });

  it('only entry files touch runtime globals or node: modules', () => {
    for (const f of src.filter((f) => !f.path.startsWith('src/entry/'))) {
      expect(f.text, f.path).not.toMatch(/\bprocess\.|\bDeno\.|\bBun\.|from ['"]node:/);
    }
  });

  it('only the WASM loaders import the generated bindings', () => {
    for (const f of src) {
      const bad = imports(f.text).filter((s) => /(^|\/)wasm\/kee_wasm/.test(s));
      if (!['src/adapters/wasm/load.ts', 'src/adapters/wasm/load-worker.ts', 'src/entry/workers.ts', 'src/entry/workers-cedar.ts'].includes(f.path)) expect(bad, f.path).toEqual([]);
    }
  });

  it('libSQL connections are opened only where they are given the store settings', () => {
    // a PRAGMA reaches only the connection that ran it: createLibsqlClient keeps an embedded
    // file's client to one connection (openLibsqlStore configures it and refuses a pooled one),
    // the NativeRecordWriter configures its own; the store lock's connection writes no audit data
    const opens = { 'createClient(': ['src/adapters/libsql/client.ts'], 'new Database(': ['src/adapters/libsql/native-writer.ts', 'src/entry/store-lock.ts'] };
    for (const [call, allowed] of Object.entries(opens)) {
      for (const f of src.filter((f) => f.text.includes(call))) expect(allowed, `${f.path} calls ${call}`).toContain(f.path);
    }
    for (const f of src.filter((f) => f.path !== 'src/adapters/libsql/client.ts' && imports(f.text).includes('@libsql/client'))) {
      expect(f.text.match(/^\s*import\s+\{([^}]*)\}\s+from\s+['"]@libsql\/client['"]/m)?.[1] ?? '', `${f.path} imports from @libsql/client`).not.toMatch(/\bcreateClient\b/);
    }
  });

  it('only entry files name the cedar-wasm package', () => {
    for (const f of src.filter((f) => !f.path.startsWith('src/entry/'))) {
      expect(imports(f.text).filter((s) => s.startsWith('@cedar-policy/')), f.path).toEqual([]);
    }
  });
});
