/**
 * The workerd entry's configuration (`src/entry/worker-config.ts`): nothing is ignored
 * silently. A missing kernel key or an unread `KEE_*` variable is a warning (logged once, and in
 * `/healthz`), a malformed value stops the Worker with one line.
 */
import { describe, expect, it } from 'vitest';
import { startupTimings } from '../src/entry/startup-timings.ts';
import { misconfigured, readWorkerConfig, withWarnings } from '../src/entry/worker-config.ts';

const DB = {};
const KEY = '42'.repeat(32);
const PUB = ['a', 'b', 'c'].map((c) => c.repeat(64)).join(',');
const TOKEN = '17'.repeat(32);

describe('workerd configuration', () => {
  it('a complete configuration has no warnings', () => {
    const c = readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB, KEE_POLICY_ENGINE: 'cedar-wasm' });
    expect(c.warnings).toEqual([]);
    expect(c.tokenSeed).toEqual(new Uint8Array(32).fill(0x17));
    expect(c.engine).toBe('cedar-wasm');
    expect(c.signingSeed).toEqual(new Uint8Array(32).fill(0x42));
    expect(c.publisherKeys).toBe(PUB);
  });

  it('without KEE_SIGNING_KEY: an ephemeral key, and a warning that says what changes and how to set it', () => {
    const c = readWorkerConfig({ DB, KEE_PUBLISHER_KEYS: PUB, KEE_TOKEN_KEY: TOKEN });
    expect(c.signingSeed).toBeNull();
    expect(c.warnings).toHaveLength(1);
    const [w] = c.warnings as [string];
    expect(w).toMatch(/^KEE_SIGNING_KEY is not set: this isolate signs with an ephemeral key/);
    expect(w).toContain('checkpoint origin change at every restart');
    expect(w).toContain('.dev.vars');
    expect(w).toContain('wrangler secret put');
    expect(w).not.toContain('\n');
  });

  it('without KEE_PUBLISHER_KEYS: a warning that CAP Profile updates answer 503', () => {
    expect(readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN }).warnings).toEqual([expect.stringMatching(/^KEE_PUBLISHER_KEYS is not set: CAP Profile updates \(PUT \/v1\/cap-profile\) answer 503/)]);
  });

  it('KEE_* variables the Worker does not read are named, not ignored silently', () => {
    const c = readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB, KEE_DATA_DIR: './data', KEE_SIGNER: 'frost', OTHER: 'x' });
    expect(c.warnings).toEqual(['KEE_DATA_DIR, KEE_SIGNER are not read on workerd and have no effect (it reads KEE_SIGNING_KEY, KEE_TOKEN_KEY, KEE_PUBLISHER_KEYS, KEE_POLICY_ENGINE, KEE_OPERATOR_JWKS, KEE_OPERATOR_ISSUER, KEE_OPERATOR_AUDIENCE, KEE_AUTH, KEE_ACD_MANIFEST_MAX_AGE, KEE_ACD_VALIDITY, KEE_ACD_PROFILE, KEE_STARTUP_TIMINGS)']);
  });

  it('KEE_AUTH: `agents` by default, `none` when set (warned), anything else stops the Worker', () => {
    expect(readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB })).toMatchObject({ auth: 'agents', warnings: [] });
    const c = readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB, KEE_AUTH: 'none' });
    expect(c.auth).toBe('none');
    expect(c.warnings).toEqual([expect.stringMatching(/^KEE_AUTH=none: agents are not authenticated .* requests that do not come to a loopback host are refused/)]);
    expect(() => readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB, KEE_AUTH: 'off' })).toThrow('KEE_AUTH must be `agents` or `none`, got `off`');
  });

  it('KEE_ACD_*: the profile as JSON text, the window and the validity; a bad value stops the Worker', () => {
    expect(readWorkerConfig({ DB }).acd).toEqual({});
    const c = readWorkerConfig({ DB, KEE_ACD_PROFILE: '{"operator_id":"urn:soos:kia:op","primary_jurisdiction":"JP"}', KEE_ACD_MANIFEST_MAX_AGE: '600', KEE_ACD_VALIDITY: '3600' });
    expect(c.acd).toEqual({ manifestMaxAgeSeconds: 600, validitySeconds: 3600, profile: { operator_id: 'urn:soos:kia:op', primary_jurisdiction: 'JP' } });
    expect(() => readWorkerConfig({ DB, KEE_ACD_PROFILE: './acd.json' })).toThrow('KEE_ACD_PROFILE (JSON text on workerd) is not JSON');
    expect(() => readWorkerConfig({ DB, KEE_ACD_VALIDITY: '9999999' })).toThrow(/^KEE_ACD_VALIDITY must be a whole number of seconds from 1 to 2592000/);
  });

  it('KEE_STARTUP_TIMINGS: 1 logs the cold path by step, unset or 0 does not, anything else stops the isolate', () => {
    expect(readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB })).toMatchObject({ startupTimings: false, warnings: [] });
    expect(readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_TOKEN_KEY: TOKEN, KEE_PUBLISHER_KEYS: PUB, KEE_STARTUP_TIMINGS: '1' })).toMatchObject({ startupTimings: true, warnings: [] });
    expect(readWorkerConfig({ DB, KEE_STARTUP_TIMINGS: '0' }).startupTimings).toBe(false);
    expect(() => readWorkerConfig({ DB, KEE_STARTUP_TIMINGS: 'yes' })).toThrow('KEE_STARTUP_TIMINGS must be `0` or `1`, got `yes`');
  });

  it('the startup timing line names every step and the total', () => {
    const ticks = [100, 101, 103.5, 134, 210];
    const timings = startupTimings(() => ticks.shift() as number);
    for (const step of ['config', 'wasm instantiate', 'D1 migrations', 'kernel start']) timings.step(step);
    expect(timings.line()).toBe('kee: startup: config 1.0 ms, wasm instantiate 2.5 ms, D1 migrations 30.5 ms, kernel start 76.0 ms, total 110.0 ms');
  });

  it('KEE_OPERATOR_JWKS: a JWKS as JSON text, with issuer and audience; unset: null (operator routes answer 503)', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'op' };
    const local = readWorkerConfig({ DB, KEE_OPERATOR_JWKS: JSON.stringify({ keys: [jwk] }), KEE_OPERATOR_ISSUER: 'https://idp.example', KEE_OPERATOR_AUDIENCE: 'kee' });
    expect(local.operators).toEqual({ jwks: { keys: [jwk] }, issuer: 'https://idp.example', audience: 'kee' });
    expect(readWorkerConfig({ DB }).operators).toBeNull();
    const bad: [string, RegExp][] = [
      ['https://idp.example/jwks.json', /must be a JWKS as JSON text .*neither reads files nor fetches/],
      ['./jwks.json', /must be a JWKS as JSON text/],
      ['{"keys":', /must be a JWKS as JSON text/],
      [JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /symmetric/],
      [JSON.stringify({ keys: [{ ...jwk, d: 'x' }] }), /private key/],
    ];
    for (const [value, message] of bad) expect(() => readWorkerConfig({ DB, KEE_OPERATOR_JWKS: value }), value).toThrow(message);
  });

  it('without KEE_TOKEN_KEY: an ephemeral credential key, and a warning that credentials stop verifying at restart', () => {
    const c = readWorkerConfig({ DB, KEE_SIGNING_KEY: KEY, KEE_PUBLISHER_KEYS: PUB });
    expect(c.tokenSeed).toBeNull();
    expect(c.warnings).toEqual([expect.stringMatching(/^KEE_TOKEN_KEY is not set: this isolate signs credentials with an ephemeral token key, .*wrangler secret put/)]);
  });

  it('malformed values stop the Worker with one line', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ DB, KEE_SIGNING_KEY: 'abc' }, /^KEE_SIGNING_KEY must be 64 hex characters/],
      [{ DB, KEE_SIGNING_KEY: `${KEY}00` }, /^KEE_SIGNING_KEY must be 64 hex characters/],
      [{ DB, KEE_SIGNING_KEY: 42 }, /^KEE_SIGNING_KEY must be a string variable, got a number/],
      [{ DB, KEE_TOKEN_KEY: 'abc' }, /^KEE_TOKEN_KEY must be 64 hex characters/],
      [{ DB, KEE_TOKEN_KEY: 7 }, /^KEE_TOKEN_KEY must be a string variable, got a number/],
      [{ DB, KEE_POLICY_ENGINE: 'opa' }, /^KEE_POLICY_ENGINE must be one of kee-policy, cedar-wasm; got `opa`/],
      [{ KEE_SIGNING_KEY: KEY }, /^the D1 binding `DB` is missing/],
    ];
    for (const [env, message] of cases) expect(() => readWorkerConfig(env)).toThrow(message);
    // upper-case hex is a key like any other
    expect(readWorkerConfig({ DB, KEE_SIGNING_KEY: 'AB'.repeat(32) }).signingSeed).toEqual(new Uint8Array(32).fill(0xab));
  });

  it('/healthz lists the warnings; without any it is unchanged', async () => {
    const health = () => Response.json({ status: 'ok', state: 'NORMAL', runtime: 'workerd', conditions: [] });
    const warned = await withWarnings(health(), ['KEE_SIGNING_KEY is not set: …']);
    expect(await warned.json()).toEqual({ status: 'ok', state: 'NORMAL', runtime: 'workerd', conditions: [], warnings: ['KEE_SIGNING_KEY is not set: …'] });
    expect(warned.headers.get('content-type')).toContain('application/json');
    expect(await (await withWarnings(health(), [])).json()).not.toHaveProperty('warnings');
  });

  it('a misconfigured Worker answers 503 with the reason', async () => {
    const res = misconfigured('KEE_SIGNING_KEY must be 64 hex characters (a 32-byte Ed25519 seed)');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'UNAVAILABLE', message: 'the kernel cannot start: KEE_SIGNING_KEY must be 64 hex characters (a 32-byte Ed25519 seed)' });
  });
});
