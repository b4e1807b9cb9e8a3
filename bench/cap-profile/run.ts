/**
 * bench/cap-profile: how long deciding whether a signed CAP Profile update may be activated
 * takes, at 10 / 100 / 1,000 / 5,000 policies, and where the time goes: the 2-of-3 publisher
 * signature check (jose, Web Crypto Ed25519), policy inspection (cedar-wasm parse to JSON +
 * the kee-policy engine's load and hash), tier-conflict detection, the whole
 * `verifyCapProfileUpdate`, and loading the serving engine at activation (cedar-wasm).
 * Prints a table and writes bench/cap-profile/RESULTS.md.
 * Run: `npx tsx bench/cap-profile/run.ts [--sizes 10,100] [--runs 5]`.
 *
 * Workload: half Tier 2 permits each naming one agent and one of 20 actions, half Tier 1
 * forbids each naming one of 20 other actions, so conflict detection compares every permit
 * with every forbid and finds none (the worst case for an accepted profile).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { CedarApi } from '../../src/adapters/cedar/cedar-api.ts';
import { CedarPolicyEngine } from '../../src/adapters/cedar/policy-engine.ts';
import { createPolicyInspector } from '../../src/adapters/cedar/policy-inspector.ts';
import { addSignature, joseJwsVerifier, type GeneralJws } from '../../src/adapters/jose/jws.ts';
import { initKeeWasm } from '../../src/adapters/wasm/load.ts';
import { WasmMerkle } from '../../src/adapters/wasm/merkle.ts';
import { buildCapProfileBody } from '../../src/kernel/cap-profile/build-body.ts';
import { publisherKid } from '../../src/kernel/cap-profile/cap-profile.ts';
import { findConflicts } from '../../src/kernel/cap-profile/conflict.ts';
import { countPublisherSignatures } from '../../src/kernel/cap-profile/signatures.ts';
import { publisherKeySet, verifyCapProfileUpdate } from '../../src/kernel/cap-profile/verify-update.ts';
import { canonicalJson } from '../../src/kernel/jcs.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? '10,100,1000,5000').split(',').map(Number);
const RUNS = Number(arg('--runs') ?? 5);

const wasm = initKeeWasm(readFileSync(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
cedar.initSync({ module: readFileSync(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url)) });
const cedarApi = cedar as unknown as CedarApi;
const inspector = createPolicyInspector(cedarApi, wasm);
const merkle = new WasmMerkle(wasm);

function policies(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const tier2 = i % 2 === 0;
    out.push(
      tier2
        ? `@id("p${i}")\n@tier("2")\n@cap_rrs_control_id("c${i}")\n@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")\npermit (principal == Agent::"a${i}", action == Action::"read${i % 20}", resource) when { context has purpose };`
        : `@id("f${i}")\n@tier("1")\n@cap_rrs_control_id("c${i}")\n@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")\nforbid (principal, action == Action::"delete${i % 20}", resource is Dataset) unless { context.approved == true };`,
    );
  }
  return out.join('\n\n');
}

async function median(fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const seeds = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
const pubs = seeds.map((s) => ed25519.getPublicKey(s));
const keys = await publisherKeySet(pubs);
const kids = await Promise.all(pubs.map((p) => publisherKid(p)));

type Row = { n: number; kib: number; sign: number; signatures: number; inspect: number; conflicts: number; verify: number; activate: number };
const rows: Row[] = [];
for (const n of SIZES) {
  const text = policies(n);
  const body = buildCapProfileBody(
    { cap_profile_id: 'bench', version: 1, effective_date: '2026-01-01T00:00:00Z', catalog_version: { version_id: 'b1', supersedes: null, published_by: 'bench', published_at: '2026-01-01T00:00:00Z' }, profile_kind: 'government' },
    text,
    inspector,
  );
  const payload = new TextEncoder().encode(canonicalJson(body));
  let jws: GeneralJws | null = null;
  const sign = await median(async () => {
    jws = await addSignature(null, payload, seeds[0]!, kids[0]!);
    jws = await addSignature(jws, payload, seeds[2]!, kids[2]!);
  });
  const inspection = inspector.inspect(text);
  if (inspection.type !== 'success') throw new Error(inspection.message);
  const deps = { publisherKeys: keys, jws: joseJwsVerifier, active: { capProfileId: 'x', version: 0 }, inspectPolicies: (t: string) => inspector.inspect(t), now: () => '2026-11-22T00:00:00Z' };
  const check = await verifyCapProfileUpdate(jws, deps);
  if (check.refused) throw new Error(`${check.code}: ${check.reason}`);
  rows.push({
    n,
    kib: payload.length / 1024,
    sign,
    signatures: await median(() => countPublisherSignatures(jws, keys, joseJwsVerifier)),
    inspect: await median(() => inspector.inspect(text)),
    conflicts: await median(() => findConflicts(inspection.policies)),
    verify: await median(() => verifyCapProfileUpdate(jws, deps)),
    activate: await median(() => CedarPolicyEngine.load(cedarApi, { capProfileId: `bench-${n}-${Math.random()}`, policies: text }, merkle)),
  });
  console.log(rows.at(-1));
}

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const table = [
  '| policies | payload KiB | sign ×2 ms | signatures ms | inspect ms | conflicts ms | whole verify ms | activation load ms |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.n} | ${f(r.kib)} | ${f(r.sign)} | ${f(r.signatures)} | ${f(r.inspect)} | ${f(r.conflicts)} | ${f(r.verify)} | ${f(r.activate)} |`),
].join('\n');
console.log(table);
writeFileSync(
  new URL('./RESULTS.md', import.meta.url),
  `# bench/cap-profile results

Median of ${RUNS} runs, on ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}. Generated by
\`npx tsx bench/cap-profile/run.ts\`. Reported, never asserted. The two cores are shared with
other work on this machine, so small numbers are noisy: read them as orders of magnitude.

* **sign ×2**: two publishers add their signatures in turn (\`addSignature\`, jose \`FlattenedSign\`).
* **signatures**: \`countPublisherSignatures\`: decode headers, verify 2 EdDSA signatures over the
  payload (jose \`flattenedVerify\`, Web Crypto Ed25519, the key imported per call).
* **inspect**: cedar-wasm \`policySetTextToParts\` + \`policyToJson\` per policy (annotations, scope)
  and the kee-policy engine's \`loadPolicySet\` (parse, index, \`cedar_policy_hash\`).
* **conflicts**: \`findConflicts\` over every Tier 2 permit × Tier 1 forbid pair.
* **whole verify**: \`verifyCapProfileUpdate\` (all of the above, JCS re-check of the payload,
  \`cap_profile_hash\`).
* **activation load**: \`CedarPolicyEngine.load\` (the engine the kernel serves with today).

Workload: half Tier 2 permits (one agent, one of 20 actions, a \`when\`), half Tier 1 forbids (one of
20 other actions, \`resource is Dataset\`, an \`unless\`), government profile (statute URIs):
accepted, no conflict, so every pair is compared.

${table}
`,
);
