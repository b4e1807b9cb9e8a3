/**
 * Issue 21: TEE attestation of the signer sidecars and the computed conformance level.
 *
 * All evidence here is SYNTHETIC (test/support/tee-synthetic.ts): this machine has no TEE and no
 * maintained package ships genuine SEV-SNP or TDX evidence with vendor certificates, so the
 * parsers and the chain checks are exercised structurally against the published layouts. The
 * exception: AMD's genuine Genoa ASK and ARK certificates (test/fixtures/amd-genoa-ask-ark.pem).
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { run as attestCli } from '../src/entry/cli-attest.ts';
import { runDkg } from '../src/adapters/frost/ceremony.ts';
import { FrostSigner } from '../src/adapters/frost/frost-signer.ts';
import { loadKeeWasm } from './support/wasm.ts';
import { CoordinatorVerifier, coordinatorPublicKey, webCryptoEd25519 } from '../src/adapters/frost/coordinator-auth.ts';
import { HttpParticipant } from '../src/adapters/frost/http-participant.ts';
import type { Participant } from '../src/adapters/frost/participant.ts';
import { ed25519Verifier, Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { AttestationGate } from '../src/adapters/tee/attestation-gate.ts';
import { SidecarAttestor } from '../src/adapters/tee/attestor.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../src/entry/build-info.ts';
import { NodeTeeChainVerifier, pemCertificates } from '../src/entry/tee-chain.ts';
import { ConfigfsTsmProvider } from '../src/entry/tee-configfs-tsm.ts';
import { createSidecarHost } from '../src/http/sidecar-ceremony-routes.ts';
import { bindingReportData, inspectEvidence, verifyAnswer, type TeeAttestationEntry } from '../src/kernel/attestation/evidence.ts';
import { buildSnpCertTable } from '../src/kernel/attestation/snp-certs.ts';
import { parseSnpReport } from '../src/kernel/attestation/snp-report.ts';
import { parseTdxQuote } from '../src/kernel/attestation/tdx-quote.ts';
import { computeConformance, type StoreKind } from '../src/kernel/conformance/level.ts';
import { toHex } from '../src/kernel/hex.ts';
import type { GecManifest } from '../src/kernel/manifest/manifest.ts';
import { makeHarness } from './support/harness.ts';
import { fakeConfigfsTsm, syntheticChain, syntheticSnpReport, syntheticTdxQuote, type SyntheticChain } from './support/tee-synthetic.ts';

const deps = { ed25519: ed25519Verifier };
const seed = () => crypto.getRandomValues(new Uint8Array(32));

let snp: SyntheticChain;
let tdx: SyntheticChain;
let chain: NodeTeeChainVerifier;
let snpAux: Uint8Array;

beforeAll(() => {
  snp = syntheticChain('P-384', ['SEV-VCEK (synthetic)', 'SEV-Milan ASK (synthetic)', 'ARK-Milan (synthetic)']);
  tdx = syntheticChain('P-256', ['Intel SGX PCK Certificate (synthetic)', 'Intel SGX PCK Platform CA (synthetic)', 'Intel SGX Root CA (synthetic)']);
  chain = new NodeTeeChainVerifier([new X509Certificate(snp.rootPem), new X509Certificate(tdx.rootPem)]);
  snpAux = buildSnpCertTable({ vcek: snp.ders[0], ask: snp.ders[1], ark: snp.ders[2] });
});

/** A sidecar attestor over a configfs-tsm tree producing signed synthetic SNP reports. */
function snpSidecar(opts: { raceOnRead?: boolean; wrongBinding?: boolean; debug?: boolean } = {}) {
  const tree = fakeConfigfsTsm({
    provider: 'sev_guest',
    auxblob: snpAux,
    raceOnRead: opts.raceOnRead,
    generate: (inblob) => syntheticSnpReport({ reportData: opts.wrongBinding ? new Uint8Array(64).fill(7) : inblob, key: snp.leafKey, ...(opts.debug ? { policy: 0x30000n | (1n << 19n) } : {}) }),
  });
  return { tree, attestor: new SidecarAttestor(new ConfigfsTsmProvider({ root: tree.root, fs: tree.fs }), seed()) };
}

describe('configfs-tsm', () => {
  it('creates a fresh entry, writes inblob, reads outblob, provider and auxblob, checks generation, removes the entry', async () => {
    const { tree } = snpSidecar();
    const provider = new ConfigfsTsmProvider({ root: tree.root, fs: tree.fs });
    const rd = new Uint8Array(64).fill(5);
    const r = await provider.report(rd);
    expect(r.tsmProvider).toBe('sev_guest');
    expect(parseSnpReport(r.outblob).report.report_data).toBe(toHex(rd));
    expect(r.auxblob).toEqual(snpAux);
    const entry = (tree.log[0] as string).slice('mkdir '.length);
    expect(entry).toMatch(/^kee-[0-9a-f-]{36}$/);
    expect(tree.log).toEqual([`mkdir ${entry}`, 'write inblob 64', 'read generation', 'read outblob', 'read provider', 'read auxblob', 'read generation', `rmdir ${entry}`]);
    expect(tree.entries()).toEqual([]);
    tree.cleanup();
  });

  it('refuses a report when the generation moved while it was read (another writer), and still removes the entry', async () => {
    const { tree } = snpSidecar({ raceOnRead: true });
    const provider = new ConfigfsTsmProvider({ root: tree.root, fs: tree.fs });
    await expect(provider.report(new Uint8Array(64))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/generation moved from 1 to 2/) });
    expect(tree.entries()).toEqual([]);
    tree.cleanup();
  });

  it('a missing configfs root is one clear UNAVAILABLE line; report data must be 64 bytes', async () => {
    const provider = new ConfigfsTsmProvider({ root: '/nonexistent/tsm/report' });
    await expect(provider.report(new Uint8Array(64))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/cannot create a report entry .*ENOENT/) });
    await expect(provider.report(new Uint8Array(32))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('evidence verification (synthetic SEV-SNP and TDX)', () => {
  it('a sidecar answer binds SHA-512(nonce || identity key); the SNP chain VCEK -> ASK -> ARK verifies to the configured root', async () => {
    const { tree, attestor } = snpSidecar();
    const nonce = seed();
    const answer = await attestor.attest(nonce);
    const entry = await verifyAnswer(1, answer, nonce, { ...deps, chain });
    expect(entry).toMatchObject({ participant: 1, provider: 'configfs-tsm', tsm_provider: 'sev_guest', status: 'verified', chain: 'verified', nonce: toHex(nonce), identity_key: toHex(attestor.identityKey) });
    expect(entry.chain_subjects).toEqual(['CN=SEV-VCEK (synthetic)', 'CN=SEV-Milan ASK (synthetic)', 'CN=ARK-Milan (synthetic)']);
    expect(entry.report).toMatchObject({ kind: 'sev-snp', measurement: 'ab'.repeat(48), report_data: toHex(await bindingReportData(nonce, attestor.identityKey)), policy: '0000000000030000' });
    // without vendor roots the binding still verifies, the chain is not checked
    expect(await verifyAnswer(1, answer, nonce, deps)).toMatchObject({ status: 'verified', chain: 'not_checked' });
    tree.cleanup();
  });

  it('refuses: report data that does not bind the nonce and key, another nonce, a forged identity signature, a pinned key mismatch, a debuggable guest', async () => {
    const wrong = snpSidecar({ wrongBinding: true });
    const nonce = seed();
    expect(await verifyAnswer(1, await wrong.attestor.attest(nonce), nonce, deps)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/report data does not bind/) });

    const { tree, attestor } = snpSidecar();
    const answer = await attestor.attest(nonce);
    expect(await verifyAnswer(1, answer, seed(), deps)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/another nonce/) });
    const forged = { ...answer, identity_key: toHex(new Ed25519Signer(seed()).publicKey()) };
    expect(await verifyAnswer(1, forged, nonce, deps)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/identity signature/) });
    expect(await verifyAnswer(1, answer, nonce, deps, new Uint8Array(32))).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not the one pinned/) });
    const debug = snpSidecar({ debug: true });
    expect(await verifyAnswer(1, await debug.attestor.attest(nonce), nonce, deps)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/allows debugging/) });
    for (const t of [wrong.tree, tree, debug.tree]) t.cleanup();
  });

  it('refuses a broken SNP chain: tampered report, a root not configured, no certificate table', async () => {
    const rd = new Uint8Array(64).fill(1);
    const report = syntheticSnpReport({ reportData: rd, key: snp.leafKey });
    expect((await inspectEvidence(report, { expectedReportData: rd, auxblob: snpAux, chain })).verified).toBe(true);
    const tampered = report.slice();
    tampered[0x90] = (tampered[0x90] as number) ^ 1; // the measurement
    expect((await inspectEvidence(tampered, { expectedReportData: rd, auxblob: snpAux, chain })).chain).toMatchObject({ status: 'failed', reason: expect.stringMatching(/report signature does not verify/) });
    const otherRoots = new NodeTeeChainVerifier([new X509Certificate(tdx.rootPem)]);
    expect((await inspectEvidence(report, { auxblob: snpAux, chain: otherRoots })).chain).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not a configured root/) });
    expect((await inspectEvidence(report, { chain })).chain).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no VCEK certificate/) });
    expect((await inspectEvidence(report, { expectedReportData: new Uint8Array(64) })).binding).toBe('mismatch');
  });

  it('GENUINE AMD Genoa ASK and ARK (RSA-PSS): the chain verifies to the ARK; a VCEK AMD did not issue is refused', async () => {
    const [ask, ark] = pemCertificates(readFileSync('test/fixtures/amd-genoa-ask-ark.pem', 'utf8')) as [X509Certificate, X509Certificate];
    const amd = new NodeTeeChainVerifier([ark]);
    expect(amd.chainProblem([ask, ark])).toBeNull();
    expect(amd.chainProblem([ark, ask])).toMatch(/is not signed by/);
    expect(new NodeTeeChainVerifier([new X509Certificate(snp.rootPem)]).chainProblem([ask, ark])).toMatch(/not a configured root/);
    const rd = new Uint8Array(64).fill(2);
    const report = syntheticSnpReport({ reportData: rd, key: snp.leafKey });
    const forged = await amd.snp(parseSnpReport(report), { vcek: snp.ders[0], ask: ask.raw, ark: ark.raw });
    expect(forged).toEqual({ ok: false, reason: expect.stringMatching(/CN=SEV-VCEK \(synthetic\)` is not signed by `.*CN=SEV-Genoa`/) });
  });

  it('parses a TDX quote v4 and verifies quote -> attestation key -> QE report -> PCK chain -> root; refuses a bad binding and a debug TD', async () => {
    const rd = new Uint8Array(64).fill(9);
    const quote = syntheticTdxQuote({ reportData: rd, pckKey: tdx.leafKey, pckChainPem: tdx.pems.join('') });
    const parsed = parseTdxQuote(quote);
    expect(parsed.quote).toMatchObject({ kind: 'tdx', version: 4, mr_td: '11'.repeat(48), report_data: toHex(rd), debug_allowed: false });
    const ok = await inspectEvidence(quote, { expectedReportData: rd, chain });
    expect(ok).toMatchObject({ kind: 'tdx', binding: 'ok', verified: true, chain: { status: 'verified', subjects: ['CN=Intel SGX PCK Certificate (synthetic)', 'CN=Intel SGX PCK Platform CA (synthetic)', 'CN=Intel SGX Root CA (synthetic)'] } });
    const tampered = quote.slice();
    tampered[48 + 136] = (tampered[48 + 136] as number) ^ 1; // mr_td
    expect((await inspectEvidence(tampered, { expectedReportData: rd, chain })).chain).toMatchObject({ status: 'failed', reason: expect.stringMatching(/quote signature does not verify/) });
    expect((await inspectEvidence(quote, { expectedReportData: new Uint8Array(64), chain })).verified).toBe(false);
    const debug = syntheticTdxQuote({ reportData: rd, pckKey: tdx.leafKey, pckChainPem: tdx.pems.join(''), debug: true });
    expect((await inspectEvidence(debug, { expectedReportData: rd, chain })).verified).toBe(false);
    await expect(inspectEvidence(new Uint8Array(100))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('the kernel side: sidecar route, gate, level', () => {
  it('POST /v1/attestation on a sidecar, coordinator-signed, reaches the gate verified; failed evidence excludes the signer', async () => {
    const coordinator = seed();
    const { tree, attestor } = snpSidecar();
    const host = createSidecarHost({ id: 1, auth: new CoordinatorVerifier(coordinatorPublicKey(coordinator), 1, Date.now, webCryptoEd25519), participant: null, attestor });
    const sidecar = new HttpParticipant({ id: 1, baseUrl: 'http://sidecar.test', coordinatorKey: coordinator, transport: (r) => Promise.resolve(host.app.fetch(r)) });
    // an unsigned request is refused
    expect((await host.app.request('http://sidecar.test/v1/attestation', { method: 'POST', body: '{"nonce":"00"}', headers: { 'content-type': 'application/json' } })).status).toBe(401);

    const bad = snpSidecar({ wrongBinding: true });
    const badHost = createSidecarHost({ id: 2, auth: new CoordinatorVerifier(coordinatorPublicKey(coordinator), 2, Date.now, webCryptoEd25519), participant: null, attestor: bad.attestor });
    const badSidecar = new HttpParticipant({ id: 2, baseUrl: 'http://sidecar.test', coordinatorKey: coordinator, transport: (r) => Promise.resolve(badHost.app.fetch(r)) });

    const gate = new AttestationGate([sidecar, badSidecar], { ...deps, chain });
    const entries = await gate.collect();
    expect(entries.map((e) => [e.participant, e.status, e.chain])).toEqual([
      [1, 'verified', 'verified'],
      [2, 'failed', 'not_checked'],
    ]);
    const fake = (id: number): Participant => ({ id, round1: async () => new Uint8Array(64), round2: async () => new Uint8Array(32), cancel: async () => undefined, health: async () => undefined });
    const ok = gate.guard(fake(1));
    const lost = gate.guard(fake(2));
    await expect(ok.round1(new Uint8Array(1))).resolves.toHaveLength(64);
    await expect(lost.round1(new Uint8Array(1))).rejects.toMatchObject({ code: 'SIGNER_FAILED', message: expect.stringMatching(/participant 2 is excluded: its TEE evidence failed verification/) });
    await expect(lost.health?.(new Uint8Array(32))).rejects.toMatchObject({ code: 'SIGNER_FAILED' });
    for (const t of [tree, bad.tree]) t.cleanup();
  });

  it('FROST (2, 3): one sidecar with failed evidence is left out and signing goes on; a second makes the signer unusable until evidence verifies again', async () => {
    const wasm = loadKeeWasm();
    const { participants, publicPackage } = runDkg(wasm);
    const good = [snpSidecar(), snpSidecar(), snpSidecar()];
    const bad = snpSidecar({ wrongBinding: true });
    const serving = [good[0], good[1], good[2]];
    const sources = [1, 2, 3].map((id) => ({ id, attest: (n: Uint8Array) => (serving[id - 1] as (typeof good)[number]).attestor.attest(n) }));
    const gate = new AttestationGate(sources, deps);
    const signer = new FrostSigner({ wasm, publicPackage, participants: participants.map((p) => gate.guard(p)), roundTimeoutMs: 2000 });
    serving[1] = bad;
    expect((await gate.collect()).map((e) => e.status)).toEqual(['verified', 'failed', 'verified']);
    const sig = await signer.sign(new TextEncoder().encode('block'));
    expect(ed25519Verifier.verify(sig, new TextEncoder().encode('block'), signer.publicKey())).toBe(true);
    serving[2] = bad;
    await gate.collect();
    await expect(signer.sign(new TextEncoder().encode('block'))).rejects.toMatchObject({ code: 'SIGNER_FAILED', unavailable: [2, 3] });
    // the next epoch's evidence verifies: the signer is usable again
    serving[1] = good[1];
    await gate.collect();
    await expect(signer.sign(new TextEncoder().encode('again'))).resolves.toHaveLength(64);
    for (const x of [...good, bad]) x.tree.cleanup();
    for (const p of participants) p.free();
  });

  const verified = (participant: number): TeeAttestationEntry => ({ participant, provider: 'configfs-tsm', nonce: '00', status: 'verified', chain: 'verified' });
  it.each([
    // store, signer, evidence, level, unmet requirements
    ['postgres', 'frost-sidecars', 'verified', 'KEE1-L2', []],
    ['postgres', 'frost-sidecars', 'chain-unchecked', 'KEE1-L1', ['tee_attestation']],
    ['postgres', 'frost-sidecars', 'one-failed', 'KEE1-L1', ['tee_attestation']],
    ['postgres', 'frost-sidecars', 'none', 'KEE1-L1', ['tee_attestation']],
    ['libsql', 'frost-sidecars', 'verified', 'KEE1-L1', ['gar_store_postgresql']],
    ['postgres', 'frost-in-process', 'none', 'KEE1-L1', ['signer_sidecars', 'tee_attestation']],
    ['libsql', 'ed25519', 'none', 'KEE1-L1', ['gar_store_postgresql', 'signer_sidecars', 'tee_attestation']],
  ] as const)('level: store %s, signer %s, evidence %s -> %s', (store, signer, evidence, level, missing) => {
    const attestations: TeeAttestationEntry[] =
      evidence === 'verified' ? [verified(1), verified(2)] : evidence === 'chain-unchecked' ? [verified(1), { ...verified(2), chain: 'not_checked' }] : evidence === 'one-failed' ? [verified(1), { ...verified(2), status: 'failed', reason: 'report data does not bind' }] : [];
    const c = computeConformance({ store: store as StoreKind, signer, attestations });
    expect(c.level).toBe(level);
    expect(c.requirements.filter((r) => !r.met).map((r) => r.requirement)).toEqual(missing);
    for (const r of c.requirements.filter((x) => !x.met)) expect(r.reason).toMatch(/\S/);
    // the P3/P8 hook: an unmet L1 requirement keeps L2 away and is listed
    const hooked = computeConformance({ store: store as StoreKind, signer, attestations, extra: [{ requirement: 'p8_revocation_propagation', level: 'KEE1-L1', met: false, reason: 'not wired' }] });
    expect(hooked.level).toBe('KEE1-L1');
  });

  it('the manifest carries tee_attestation and the computed level, re-attested at every epoch; a failed attestation drops it to L1 with the reason on /healthz', async () => {
    let round = 0;
    const failing = { current: false };
    const attest = async (): Promise<TeeAttestationEntry[]> => {
      round++;
      return failing.current ? [verified(1), { ...verified(2), status: 'failed', chain: 'not_checked', reason: 'report data does not bind the nonce and identity key' }] : [verified(1), { ...verified(2), nonce: round.toString(16).padStart(2, '0') }];
    };
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const h = makeHarness({ signer, deps: { manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256, deployment: { store: 'postgres', signer: 'frost-sidecars' }, attest } } });
    const m = (await h.call('GET', '/v1/manifest')).json as GecManifest;
    expect(m.conformance_level).toBe('KEE1-L2');
    expect(m.conformance_unmet).toEqual([]);
    expect(m.hardware_backed).toBe(true);
    expect(m.tee_attestation?.map((e) => e.participant)).toEqual([1, 2]);
    expect((await h.call('GET', '/healthz')).json.conformance).toEqual({ level: 'KEE1-L2', unmet: [] });

    // the next epoch (a restart on the same store) attests again; this time participant 2 fails
    failing.current = true;
    const h2 = makeHarness({ signer, store: h.store, deps: { manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256, deployment: { store: 'postgres', signer: 'frost-sidecars' }, attest } } });
    const m2 = (await h2.call('GET', '/v1/manifest')).json as GecManifest;
    expect(round).toBe(2);
    expect(m2.epoch).toBe(2);
    expect(m2.conformance_level).toBe('KEE1-L1');
    expect(m2.hardware_backed).toBe(false);
    expect(m2.tee_attestation?.[1]).toMatchObject({ participant: 2, status: 'failed' });
    const health = (await h2.call('GET', '/healthz')).json;
    expect(health.conformance.level).toBe('KEE1-L1');
    expect(health.conformance.unmet).toEqual([{ requirement: 'tee_attestation', level: 'KEE1-L2', reason: 'participant 2: report data does not bind the nonce and identity key' }]);

    // an operator requiring L2 gets no manifest (and no start) while it is not met
    const h3 = makeHarness({ signer, deps: { manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256, conformanceLevel: 'KEE1-L2', deployment: { store: 'libsql', signer: 'frost-sidecars' }, attest } } });
    await expect(h3.started).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/KEE1-L2.*required.*gar_store_postgresql/) });
  });
});

describe('kee attest verify', () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((x: unknown) => void out.push(String(x)));
    const error = vi.spyOn(console, 'error').mockImplementation((x: unknown) => void err.push(String(x)));
    try {
      return { code: await attestCli(args), out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('exit 0 only for evidence that verifies fully (binding, chain to --roots); 1 otherwise; 2 for usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-attest-cli-'));
    const rd = new Uint8Array(64).fill(3);
    writeFileSync(join(dir, 'report.bin'), syntheticSnpReport({ reportData: rd, key: snp.leafKey }));
    writeFileSync(join(dir, 'aux.bin'), snpAux);
    writeFileSync(join(dir, 'roots.pem'), snp.rootPem + tdx.rootPem);
    const full = await cli('verify', join(dir, 'report.bin'), '--report-data', toHex(rd), '--auxblob', join(dir, 'aux.bin'), '--roots', join(dir, 'roots.pem'), '--json');
    expect(full.code, full.err).toBe(0);
    expect(JSON.parse(full.out)).toMatchObject({ kind: 'sev-snp', binding: 'ok', verified: true, report: { measurement: 'ab'.repeat(48) } });
    expect((await cli('verify', join(dir, 'report.bin'), '--report-data', '00'.repeat(64), '--auxblob', join(dir, 'aux.bin'), '--roots', join(dir, 'roots.pem'))).code).toBe(1);
    const noRoots = await cli('verify', join(dir, 'report.bin'), '--report-data', toHex(rd));
    expect(noRoots.code).toBe(1);
    expect(noRoots.out).toMatch(/chain: not_checked \(give --roots\)/);

    // a sidecar's JSON answer, verified as the kernel does
    const { tree, attestor } = snpSidecar();
    writeFileSync(join(dir, 'answer.json'), JSON.stringify(await attestor.attest(seed())));
    expect((await cli('verify', join(dir, 'answer.json'), '--roots', join(dir, 'roots.pem'))).code).toBe(0);
    tree.cleanup();

    expect((await cli('verify', join(dir, 'report.bin'), '--bogus')).code).toBe(2);
    const notEvidence = join(dir, 'x.bin');
    writeFileSync(notEvidence, new Uint8Array(10));
    const bad = await cli('verify', notEvidence);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^kee: the evidence is neither an SEV-SNP report/);
  });
});
