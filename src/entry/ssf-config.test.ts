import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRevocationConfig } from './ssf-config.ts';

describe('KEE_SSF_* configuration', () => {
  it('reads transmitters from JSON or a file, the token from token_env, and the timers', () => {
    const list = [{ config_url: 'http://127.0.0.1:8788/.well-known/ssf-configuration', delivery: 'push', push_url: 'http://127.0.0.1:8787/ssf/push', token_env: 'PEER_TOKEN' }];
    const c = readRevocationConfig({ KEE_SSF_TRANSMITTERS: JSON.stringify(list), PEER_TOKEN: 'tok', KEE_SSF_POLL_MS: '500', KEE_SSF_UNHEALTHY_MS: '20000' });
    expect(c).toEqual({ transmitters: [{ config_url: list[0]!.config_url, delivery: 'push', push_url: list[0]!.push_url, token: 'tok' }], pollMs: 500, verifyEveryMs: 10_000, unhealthyAfterMs: 20_000 });
    const dir = mkdtempSync(join(tmpdir(), 'kee-ssf-'));
    writeFileSync(join(dir, 't.json'), JSON.stringify([{ config_url: 'https://idp.example/.well-known/ssf-configuration', delivery: 'poll' }]));
    expect(readRevocationConfig({ KEE_SSF_TRANSMITTERS: join(dir, 't.json') }).transmitters).toEqual([{ config_url: 'https://idp.example/.well-known/ssf-configuration', delivery: 'poll' }]);
    expect(readRevocationConfig({}).transmitters).toEqual([]);
  });

  it('refuses bad values with one line', () => {
    expect(() => readRevocationConfig({ KEE_SSF_TRANSMITTERS: '[{' })).toThrow(/^KEE_SSF_TRANSMITTERS is not JSON/);
    expect(() => readRevocationConfig({ KEE_SSF_TRANSMITTERS: '[{"config_url":"http://a/x","delivery":"push"}]' })).toThrow(/push delivery needs `push_url`/);
    expect(() => readRevocationConfig({ KEE_SSF_TRANSMITTERS: '[{"config_url":"ftp://a","delivery":"poll"}]' })).toThrow(/`0.config_url` must be an http\(s\) URL/);
    expect(() => readRevocationConfig({ KEE_SSF_TRANSMITTERS: '[{"config_url":"http://a/x","delivery":"poll","token_env":"NOPE"}]' })).toThrow(/`NOPE`, which is not set/);
    expect(() => readRevocationConfig({ KEE_SSF_TRANSMITTERS: '/no/such/file' })).toThrow(/cannot read `\/no\/such\/file`/);
    expect(() => readRevocationConfig({ KEE_SSF_POLL_MS: '5' })).toThrow(/^KEE_SSF_POLL_MS must be milliseconds from 100 to 30000/);
    expect(() => readRevocationConfig({ KEE_SSF_UNHEALTHY_MS: '5000' })).toThrow(/^KEE_SSF_UNHEALTHY_MS \(5000\) must exceed KEE_SSF_POLL_MS \(2000\) and KEE_SSF_VERIFY_MS \(10000\)/);
  });
});
