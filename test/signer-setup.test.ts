/**
 * The kernel's signer from the environment (src/entry/signer-setup.ts): `npm start` with no
 * configuration runs FROST (2, 3) with a DKG on first start and records FROST_CEREMONY in the
 * kernel journal; a restart reuses the shares; (t, n) only upward; KEK errors are clear.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setupSigner } from '../src/entry/signer-setup.ts';
import { startServer } from './runtime/servers.ts';
import { kee } from './support/sidecars.ts';
import { loadKeeWasm } from './support/wasm.ts';
import { journalEvents } from './support/journal.ts';

const wasm = loadKeeWasm();
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `kee-${name}-`));
const quiet = () => {};


describe('npm start with no configuration', () => {
  it('runs FROST (2, 3): DKG on first start, FROST_CEREMONY journalled once, restart reuses the shares', async () => {
    const dataDir = tmp('first-start');
    for (const k of ['KEE_SIGNER', 'KEE_SHARE_KEK', 'KEE_SHARE_KEK_FILE', 'KEE_FROST_PARTICIPANTS']) delete process.env[k];
    const first = await startServer('node', { dataDir });
    const key1 = (await (await fetch(`${first.base}/v1/kernel/public-key`)).json()).public_key;
    await first.stop();
    expect(first.output()).toContain('first start: ran the frost DKG (frost:t-of-n:2-3)');
    expect(first.output()).toContain('created the key-encryption key');
    const pub = JSON.parse(readFileSync(join(dataDir, 'frost', 'public.json'), 'utf8'));
    expect(pub).toMatchObject({ threshold: 2, participants: [1, 2, 3], group_key: key1 });
    for (const f of ['share-1.json', 'share-2.json', 'share-3.json', 'share-kek.hex']) expect(statSync(join(dataDir, 'frost', f)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'kernel-ed25519.key'))).toBe(false);

    const second = await startServer('node', { dataDir });
    const key2 = (await (await fetch(`${second.base}/v1/kernel/public-key`)).json()).public_key;
    await second.stop();
    expect(key2).toBe(key1);
    expect(second.output()).not.toContain('first start');

    // a wrong KEK stops the start with one line, no stack trace
    const wrong = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/entry/node.ts'], { env: { ...process.env, KEE_AUTH: 'none', KEE_DATA_DIR: dataDir, PORT: '0', KEE_SHARE_KEK: '00'.repeat(32) }, encoding: 'utf8' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual([
      `kee: share file \`${join(dataDir, 'frost', 'share-1.json')}\` does not open: wrong key-encryption key (KEE_SHARE_KEK), or the file was modified`,
    ]);

    const events = (await journalEvents(dataDir)).filter((e) => e.event_type === 'FROST_CEREMONY');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ale_type: 'KERNEL_AUDIT_ANOMALY', event_type: 'FROST_CEREMONY', mode: 'dkg', threshold: 2, participants: [1, 2, 3], deployment_constraint: 'frost:t-of-n:2-3', group_key: key1 });
  }, 120_000);
});

describe('signer configuration', () => {
  it('describes itself as the GEC Manifest needs it', async () => {
    const s = await setupSigner({ dataDir: tmp('describe'), wasm, env: {}, log: quiet });
    expect(s.signer.describe()).toEqual({ scheme: 'frost', deployment_constraint: 'frost:t-of-n:2-3', hardware_backed: false });
    expect(s.signer.publicKey()).toHaveLength(32);
    s.close();
  });

  it('raises (t, n) on first start; refuses to lower t or change it on an existing key', async () => {
    const dataDir = tmp('tn');
    const s = await setupSigner({ dataDir, wasm, env: { KEE_FROST_THRESHOLD: '3', KEE_FROST_PARTICIPANTS_N: '5' }, log: quiet });
    expect(s.signer.describe().deployment_constraint).toBe('frost:t-of-n:3-5');
    s.close();
    await expect(setupSigner({ dataDir, wasm, env: { KEE_FROST_THRESHOLD: '2' }, log: quiet })).rejects.toThrow('KEE_FROST_THRESHOLD=2 is below the key\'s threshold 3: lowering t is refused');
    await expect(setupSigner({ dataDir, wasm, env: { KEE_FROST_THRESHOLD: '4', KEE_FROST_PARTICIPANTS_N: '5' }, log: quiet })).rejects.toThrow(/needs a new ceremony and a new group key: `kee signer keygen --threshold 4 --participants 5 --force`/);
    await expect(setupSigner({ dataDir: tmp('t1'), wasm, env: { KEE_FROST_THRESHOLD: '1' }, log: quiet })).rejects.toThrow(/want t >= 2/);
    const again = await setupSigner({ dataDir, wasm, env: {}, log: quiet });
    expect(again.signer.describe().deployment_constraint).toBe('frost:t-of-n:3-5');
    again.close();
  });

  it('a missing or wrong KEK is a clear error', async () => {
    const dataDir = tmp('kek');
    const kek = 'c3'.repeat(32);
    (await setupSigner({ dataDir, wasm, env: { KEE_SHARE_KEK: kek }, log: quiet })).close();
    expect(existsSync(join(dataDir, 'frost', 'share-kek.hex'))).toBe(false);
    await expect(setupSigner({ dataDir, wasm, env: {}, log: quiet })).rejects.toThrow('no key-encryption key for the frost share files: set KEE_SHARE_KEK (64 hex characters) or KEE_SHARE_KEK_FILE');
    await expect(setupSigner({ dataDir, wasm, env: { KEE_SHARE_KEK: '3c'.repeat(32) }, log: quiet })).rejects.toThrow(/share file `.*share-1.json` does not open: wrong key-encryption key/);
    await expect(setupSigner({ dataDir, wasm, env: { KEE_SHARE_KEK: 'nope' }, log: quiet })).rejects.toThrow('KEE_SHARE_KEK must be 64 hex characters');
    const file = join(dataDir, 'kek.hex');
    writeFileSync(file, `${kek}\n`);
    (await setupSigner({ dataDir, wasm, env: { KEE_SHARE_KEK_FILE: file }, log: quiet })).close();
    await expect(setupSigner({ dataDir, wasm, env: { KEE_SHARE_KEK_FILE: join(dataDir, 'missing') }, log: quiet })).rejects.toThrow(/KEE_SHARE_KEK_FILE `.*missing` cannot be read/);
  });

  it('KEE_SIGNER=ed25519, and a data dir from before FROST, keep the single key', async () => {
    const dataDir = tmp('ed');
    const s = await setupSigner({ dataDir, wasm, env: { KEE_SIGNER: 'ed25519' }, log: quiet });
    expect(s.signer.describe()).toEqual({ scheme: 'ed25519', deployment_constraint: 'ed25519:single', hardware_backed: false });
    const lines: string[] = [];
    const legacy = await setupSigner({ dataDir, wasm, env: {}, log: (l) => lines.push(l) });
    expect(legacy.signer.publicKey()).toEqual(s.signer.publicKey());
    expect(lines.join('\n')).toContain('keeping the single Ed25519 kernel key');
    await expect(setupSigner({ dataDir, wasm, env: { KEE_SIGNER: 'rsa' }, log: quiet })).rejects.toThrow('KEE_SIGNER is `rsa`, want `frost` (default) or `ed25519`');
  });

  it('kee signer refresh and repair keep the group key and queue FROST_RESHARD for the journal', async () => {
    const dataDir = tmp('reshard');
    const env = { KEE_SHARE_KEK: '7e'.repeat(32) };
    expect(kee(['signer', 'keygen', '--data-dir', dataDir], env).code).toBe(0);
    const before = JSON.parse(readFileSync(join(dataDir, 'frost', 'public.json'), 'utf8'));
    const refresh = kee(['signer', 'refresh', '--data-dir', dataDir], env);
    expect(refresh.code, refresh.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(dataDir, 'frost', 'public.json'), 'utf8'));
    expect(after.group_key).toBe(before.group_key);
    expect(after.public_package).not.toBe(before.public_package);
    const repair = kee(['signer', 'repair', '2', '--data-dir', dataDir], env);
    expect(repair.code, repair.stderr).toBe(0);
    expect(kee(['signer', 'repair', '9', '--data-dir', dataDir], env)).toMatchObject({ code: 1, stderr: 'kee: participant `9` is not in the group\n' });
    expect(kee(['signer', 'keygen', '--data-dir', dataDir], env)).toMatchObject({ code: 1 });
    expect(kee(['signer', 'bogus'], env).code).toBe(2);
    // the kernel signs with the refreshed shares and journals the transcripts at start
    const s = await setupSigner({ dataDir, wasm, env, log: quiet });
    const recorded: Record<string, unknown>[] = [];
    await s.attach({ recordSignerEvent: async (e: Record<string, unknown>) => void recorded.push(e), startSigningMonitor: () => {}, stop: () => {} } as never);
    expect(recorded.map((e) => [e.event_type, e.kind ?? e.mode])).toEqual([['FROST_CEREMONY', 'dkg'], ['FROST_RESHARD', 'refresh'], ['FROST_RESHARD', 'repair']]);
    const sig = await s.signer.sign(new TextEncoder().encode('m'));
    expect(sig).toHaveLength(64);
    s.close();
    // recorded once only
    const s2 = await setupSigner({ dataDir, wasm, env, log: quiet });
    const again: unknown[] = [];
    await s2.attach({ recordSignerEvent: async (e: unknown) => void again.push(e), startSigningMonitor: () => {}, stop: () => {} } as never);
    expect(again).toEqual([]);
    s2.close();
  }, 60_000);
});
