import { beforeAll, describe, expect, it } from 'vitest';
import { joseJwsVerifier } from '../../adapters/jose/jws.ts';
import { body, inspector, makePublishers, POLICIES_V1, sign, type Publisher } from '../../../test/support/cap-profile.ts';
import type { CapProfileBody } from './cap-profile.ts';
import { contentProblems } from './content-checks.ts';
import { publisherKeySet, verifyCapProfileUpdate } from './verify-update.ts';
import type { PublisherKey } from './signatures.ts';

let pubs: Publisher[];
let keys: PublisherKey[];
beforeAll(async () => {
  pubs = await makePublishers(3);
  keys = await publisherKeySet(pubs.map((p) => p.publicKey));
});

const verify = async (b: unknown) =>
  verifyCapProfileUpdate(await sign(b, [pubs[0]!, pubs[1]!]), {
    publisherKeys: keys,
    jws: joseJwsVerifier,
    active: { capProfileId: 'kee-default', version: 0 },
    inspectPolicies: (t) => inspector().inspect(t),
    now: () => '2026-11-22T00:00:00Z',
  });

const problemsOf = (b: CapProfileBody) => contentProblems(inspector().inspect(b.policies), b);

const TIER1_FORBID = `@id("f") @tier("1") @cap_rrs_control_id("c:f") forbid (principal, action == Action::"delete", resource);`;
const TIER2_PERMIT_ALL = `@id("p") @tier("2") @cap_rrs_control_id("c:p") permit (principal, action, resource);`;

/** Profiles the kernel refuses for their content, and one it accepts. */
const cases: [string, () => CapProfileBody][] = [
  ['accepted', () => body()],
  ['bad tier', () => body({}, POLICIES_V1.replace('@tier("2")', '@tier("3")'))],
  ['http authority source', () => ({ ...body(), policies: POLICIES_V1.replace('https://elaws', 'http://elaws') })],
  ['controls differ', () => ({ ...body(), controls: {} })],
  ['hash mismatch', () => ({ ...body(), cedar_policy_hash: '0'.repeat(64) })],
  ['does not parse', () => ({ ...body(), policies: '@id("x") permit (principal, action, resource' })],
  ['tier conflict', () => body({}, `${TIER1_FORBID}\n${TIER2_PERMIT_ALL}`)],
  ['@hem on a forbid', () => body({}, `@id("f") @tier("0-B") @hem("HEM-HIGH-1") @cap_rrs_control_id("c:f") forbid (principal, action == Action::"delete", resource);`)],
  ['@hem on a permit', () => body({}, TIER2_PERMIT_ALL.replace('@tier("2")', '@tier("2") @hem("HEM-HIGH-1")'))],
  ['@hem not a class name', () => body({}, TIER1_FORBID.replace('@tier("1")', '@tier("1") @hem("ask someone")'))],
  ['government without authority source', () => body({ profile_kind: 'government' }, `${TIER1_FORBID}`)],
];

describe('contentProblems (what `kee policy validate` reports) agrees with the kernel', () => {
  for (const [name, make] of cases) {
    it(`${name}: the first problem is the kernel's refusal`, async () => {
      const b = make();
      const kernel = await verify(b);
      const problems = problemsOf(b);
      if (!kernel.refused) expect(problems).toEqual([]);
      else {
        expect(problems.length).toBeGreaterThan(0);
        expect(problems[0]?.code).toBe(kernel.code);
      }
    });
  }

  it('`@hem`: a class name on a forbid policy only', () => {
    expect(problemsOf(body({}, TIER2_PERMIT_ALL.replace('@tier("2")', '@tier("2") @hem("HEM-HIGH-1")'))).map((p) => p.message)).toEqual([
      "policy `p` is a permit with `@hem`: only a forbid policy's DENY opens a human escalation",
    ]);
    expect(problemsOf(body({}, TIER1_FORBID.replace('@tier("1")', '@tier("1") @hem("ask someone")'))).map((p) => p.message)).toEqual([
      'policy `f` has `@hem("ask someone")`, expected a HEM class such as `HEM-HIGH-1`',
    ]);
  });

  it('lists every problem, not only the first', () => {
    const policies = `@id("a") @tier("9") permit (principal, action, resource);
@id("a") @tier("1") forbid (principal, action == Action::"x", resource);
@tier("2") permit (principal, action == Action::"x", resource);`;
    const problems = contentProblems(inspector().inspect(policies), null, 'government');
    expect(problems.map((p) => p.code)).toEqual([
      'CAP_ANNOTATION_INVALID',
      'CAP_ANNOTATION_INVALID',
      'CAP_ANNOTATION_INVALID',
      'CAP_POLICY_INVALID',
      'CAP_CONFLICT',
      'CAP_AUTHORITY_SOURCE_MISSING',
      'CAP_AUTHORITY_SOURCE_MISSING',
      'CAP_AUTHORITY_SOURCE_MISSING',
    ]);
  });
});
