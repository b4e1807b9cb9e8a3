/**
 * A signed CAP Profile update on both Worker builds: the default one reads the profile's
 * policies with kee-policy (it does not carry cedar-wasm), the cedar one with cedar-wasm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/kernel/hex.ts';
import { body, makePublishers, POLICIES_V1, sign, type Publisher } from '../support/cap-profile.ts';
import { startServer, type RunningServer } from './servers.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

const post = (url: string, method: string, payload: unknown) =>
  fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });

describe.each(['workerd', 'workerd-cedar'] as const)('a CAP Profile update on %s', (runtime) => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.stop());

  it(`${runtime}: activates a signed update and refuses one whose policy hash does not match`, async () => {
    server = await startServer(runtime, { vars: { KEE_SIGNING_KEY: '42'.repeat(32), KEE_PUBLISHER_KEYS: pubs.map((p) => toHex(p.publicKey)).join(',') } });
    const b = body({}, POLICIES_V1);
    const bad = await post(`${server.base}/v1/cap-profile`, 'PUT', await sign({ ...b, cedar_policy_hash: '00'.repeat(32) }, pubs));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { code: string }).code).toBe('CAP_POLICY_HASH_MISMATCH');
    const ok = await post(`${server.base}/v1/cap-profile`, 'PUT', await sign(b, [pubs[0]!, pubs[1]!]));
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(await ok.json()).toMatchObject({ cap_profile_id: 'test-profile', version: 1, cedar_policy_hash: b.cedar_policy_hash });
    const active = (await (await fetch(`${server.base}/v1/cap-profile`)).json()) as { version: number; signed: boolean };
    expect(active).toMatchObject({ version: 1, signed: true });
  }, 240_000);
});
