import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAcdOptions } from './acd-config.ts';

const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'kee-acd-')), 'acd.json');
  writeFileSync(path, content);
  return path;
};

describe('KEE_ACD_* settings', () => {
  it('defaults to nothing set; reads the window, the validity and the profile file', async () => {
    expect(await readAcdOptions({})).toEqual({});
    const profile = { operator_id: 'urn:soos:kia:op', primary_jurisdiction: 'JP', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }], liability_scope: 'DEPLOYER' };
    const o = await readAcdOptions({ KEE_ACD_MANIFEST_MAX_AGE: '3600', KEE_ACD_VALIDITY: '604800', KEE_ACD_PROFILE: file(JSON.stringify(profile)) });
    expect(o).toEqual({ manifestMaxAgeSeconds: 3600, validitySeconds: 604_800, profile });
  });

  it('refuses values out of range and a bad profile with one clear line', async () => {
    await expect(readAcdOptions({ KEE_ACD_MANIFEST_MAX_AGE: '86401' })).rejects.toThrow('KEE_ACD_MANIFEST_MAX_AGE must be a whole number of seconds from 1 to 86400, got `86401`');
    await expect(readAcdOptions({ KEE_ACD_VALIDITY: '0' })).rejects.toThrow(/^KEE_ACD_VALIDITY must be/);
    await expect(readAcdOptions({ KEE_ACD_VALIDITY: '1.5' })).rejects.toThrow(/^KEE_ACD_VALIDITY must be/);
    await expect(readAcdOptions({ KEE_ACD_PROFILE: '/nonexistent/acd.json' })).rejects.toThrow(/^KEE_ACD_PROFILE: cannot read/)
    await expect(readAcdOptions({ KEE_ACD_PROFILE: file('not json') })).rejects.toThrow(/KEE_ACD_PROFILE `.*` is not JSON/);
    await expect(readAcdOptions({ KEE_ACD_PROFILE: file('{"operator":"x"}') })).rejects.toThrow(/KEE_ACD_PROFILE `.*`: \(top\): Unrecognized key/);
    await expect(readAcdOptions({ KEE_ACD_PROFILE: file('{"primary_jurisdiction":"japan"}') })).rejects.toThrow(/primary_jurisdiction/);
  });
});
