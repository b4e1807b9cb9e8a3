import { describe, expect, it } from 'vitest';
import { isLoopback, readLocalConfig } from './local-config.ts';

describe('KEE_AUTH', () => {
  it('loopback is 127.0.0.0/8, ::1 and localhost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'kee.example', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('`agents` by default and anywhere; `none` only on loopback; anything else refused', () => {
    expect(readLocalConfig({}).auth).toBe('agents');
    expect(readLocalConfig({ KEE_HOST: '0.0.0.0' }).auth).toBe('agents');
    expect(readLocalConfig({ KEE_AUTH: 'none' }).auth).toBe('none');
    expect(readLocalConfig({ KEE_AUTH: 'none', KEE_HOST: '::1' }).auth).toBe('none');
    expect(readLocalConfig({ KEE_AUTH: 'agents', KEE_HOST: '0.0.0.0' }).auth).toBe('agents');
    expect(() => readLocalConfig({ KEE_AUTH: 'none', KEE_HOST: '10.0.0.1' })).toThrow(/KEE_AUTH=none is refused off loopback \(KEE_HOST=10\.0\.0\.1\)/);
    expect(() => readLocalConfig({ KEE_AUTH: 'Agents' })).toThrow(/KEE_AUTH must be `agents` or `none`, got `Agents`/);
  });
});
