/**
 * `kee policy validate` and `kee policy test`, offline (no server), as a publisher runs them
 * before signing and pushing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url } from '../src/adapters/jose/jws.ts';
import { canonicalJson } from '../src/kernel/jcs.ts';
import { body, makePublishers, sign, type Publisher } from './support/cap-profile.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kee-policy-check-'));

async function kee(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const policy = (...args: string[]) => kee({}, 'policy', ...args);

function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const POLICIES = `
@id("t2-write-reports")
@tier("2")
@cap_rrs_control_id("ops:write-reports")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")
permit (principal is Agent, action == Action::"write", resource is Report);

@id("t1-no-delete")
@tier("1")
@cap_rrs_control_id("appi:no-delete")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")
forbid (principal, action == Action::"delete", resource);
`;

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

describe('kee policy validate', () => {
  it('passes a good profile in every form: Cedar text, body, signed update (exit 0, its hash)', async () => {
    const b = body({}, POLICIES);
    const { cedar_policy_hash: _h, controls: _c, ...partial } = b;
    const forms = [file('good.cedar', POLICIES), file('body.json', b), file('partial-body.json', partial), file('update.json', await sign(b, [pubs[0]!, pubs[1]!]))];
    for (const f of forms) {
      const r = await policy('validate', f);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`OK ${f}: 2 policies, cedar_policy_hash ${b.cedar_policy_hash}`);
    }
    expect((await policy('validate', forms[3]!)).stdout).toContain('2 signature(s), not verified offline');
  });

  it('prints each problem as one line with the code the kernel would refuse with (exit 1)', async () => {
    const bad = file(
      'bad.cedar',
      `@id("p") @tier("3") permit (principal, action, resource);
@id("f") @tier("1") @authority_source_uri("http://example.com/") forbid (principal, action == Action::"delete", resource);
@id("w") @tier("2") permit (principal, action == Action::"delete", resource);`,
    );
    const r = await policy('validate', bad, '--kind', 'government');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      `${bad}: CAP_ANNOTATION_INVALID: policy \`p\` has \`@tier("3")\`, expected one of 0-A, 0-B, 1, 2`,
      `${bad}: CAP_ANNOTATION_INVALID: policy \`f\` has \`@authority_source_uri\` \`http://example.com/\`, not a public https uri`,
      `${bad}: CAP_CONFLICT: tier 2 permit \`w\` may allow what tier 1 forbid \`f\` prohibits`,
      `${bad}: CAP_AUTHORITY_SOURCE_MISSING: government profile: policy \`p\` has no \`@authority_source_uri\``,
      `${bad}: CAP_AUTHORITY_SOURCE_MISSING: government profile: policy \`w\` has no \`@authority_source_uri\``,
      `${bad}: CAP_AUTHORITY_SOURCE_UNOFFICIAL: government profile: tier 1 policy \`f\` has an \`@authority_source_uri\` that is not from an official law-publication scheme`,
    ]);
    expect(r.stderr).toContain('6 problem(s)');
  });

  it('checks a body: hash, controls and shape; a signed payload must be JCS', async () => {
    const b = body({}, POLICIES);
    const r = await policy('validate', file('wrong-hash.json', { ...b, cedar_policy_hash: 'a'.repeat(64) }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`CAP_POLICY_HASH_MISMATCH: \`cedar_policy_hash\` is \`${'a'.repeat(64)}\` but the policies hash to \`${b.cedar_policy_hash}\``);
    expect((await policy('validate', file('no-controls.json', { ...b, controls: {} }))).stdout).toContain('CAP_ANNOTATION_INVALID: `controls` does not match');
    expect((await policy('validate', file('extra.json', { ...b, extra: 1 }))).stdout).toContain('CAP_PROFILE_MALFORMED: unknown field `extra`');
    const pretty = new TextEncoder().encode(JSON.stringify(b, null, 1));
    const notJcs = { payload: base64url(pretty), signatures: [] };
    expect(canonicalJson(b)).not.toBe(JSON.stringify(b, null, 1));
    expect((await policy('validate', file('not-jcs.json', notJcs))).stdout).toContain('CAP_PROFILE_MALFORMED: the signed payload is not in JCS (RFC 8785) form');
  });

  it('validates against a Cedar schema with --schema', async () => {
    const schema = file('ok.cedarschema', 'entity Agent; entity Report; action "write", "delete" appliesTo { principal: Agent, resource: Report };');
    expect((await policy('validate', file('s.cedar', POLICIES), '--schema', schema)).code).toBe(0);
    const narrow = file('narrow.cedarschema', 'entity Agent; entity Report; action "write" appliesTo { principal: Agent, resource: Report };');
    const r = await policy('validate', file('s.cedar', POLICIES), '--schema', narrow);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/SCHEMA_INVALID: the serving policy engine \(kee-policy\) refuses the set: .*delete/);
  });

  it('usage and file errors exit 2 with one line', async () => {
    const missing = await policy('validate', join(dir, 'none.cedar'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`kee policy: no such file \`${join(dir, 'none.cedar')}\``);
    const notJson = await policy('validate', file('broken.json', '{'));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('is not valid JSON');
    expect((await policy('validate')).code).toBe(2);
    expect((await policy('validate', file('x.cedar', POLICIES), '--kind', 'odd')).code).toBe(2);
  });
});

describe('kee policy test', () => {
  const req = (action: string) => ({ principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: action }, resource: { type: 'Report', id: 'r' } });

  it('exit 0 when every case is decided as expected, with either engine', async () => {
    const cases = file('cases.json', {
      cases: [
        { name: 'write', request: req('write'), expect: 'PERMIT', policy_ids: ['t2-write-reports'] },
        { name: 'delete', request: req('delete'), expect: 'DENY', policy_ids: ['t1-no-delete'] },
        { name: 'read', request: req('read'), expect: 'DENY' },
      ],
    });
    for (const engine of ['kee-policy', 'cedar-wasm']) {
      const r = await kee({ KEE_POLICY_ENGINE: engine }, 'policy', 'test', file('t.cedar', POLICIES), cases);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('ok   write: PERMIT [t2-write-reports]');
      expect(r.stdout).toContain(`3 case(s): 3 as expected, 0 not (engine ${engine}`);
    }
  });

  it('reports each mismatch and exits 1', async () => {
    const cases = file('wrong.json', [
      { name: 'write', request: req('write'), expect: 'PERMIT' },
      { name: 'read-expected-permit', request: req('read'), expect: 'PERMIT' },
      { name: 'wrong-policy', request: req('delete'), expect: 'DENY', policy_ids: ['other'] },
    ]);
    const r = await policy('test', file('t.cedar', POLICIES), cases);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL read-expected-permit: expected PERMIT, got DENY []');
    expect(r.stdout).toContain('FAIL wrong-policy: expected DENY [other], got DENY [t1-no-delete]');
    expect(r.stderr).toContain('3 case(s): 1 as expected, 2 not');
  });

  it('decides with the kernel\'s fail-closed rules: an erroring policy is a DENY with its reason', async () => {
    const erroring = file('err.cedar', `@id("p") @tier("2") permit (principal, action, resource);
@id("f") @tier("1") forbid (principal, action, resource) when { context.level > 3 };`);
    const r = await policy('test', erroring, file('err-cases.json', [{ name: 'no level', request: req('write'), expect: 'PERMIT' }]));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL no level: expected PERMIT, got DENY \[.*\] \(.*policy `f`/);
  });

  it('a malformed cases file or a profile the engine refuses exits 2', async () => {
    const bad = await policy('test', file('t.cedar', POLICIES), file('bad-cases.json', [{ request: req('write'), expect: 'MAYBE' }]));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('`cases.0.expect`');
    const broken = await policy('test', file('broken.cedar', '@id("x") permit (principal, action, resource'), file('c.json', []));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('refuses');
  });
});
