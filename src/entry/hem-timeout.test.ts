import { describe, expect, it } from 'vitest';
import { readLocalConfig } from './local-config.ts';

describe('KEE_HEM_TIMEOUT_S', () => {
  it('defaults to 900 s, takes whole seconds from 1 to 604800, and refuses anything else with one line', () => {
    expect(readLocalConfig({ KEE_AUTH: 'none' }).hemTimeoutS).toBe(900);
    expect(readLocalConfig({ KEE_AUTH: 'none', KEE_HEM_TIMEOUT_S: ' 60 ' }).hemTimeoutS).toBe(60);
    expect(readLocalConfig({ KEE_AUTH: 'none', KEE_HEM_TIMEOUT_S: '604800' }).hemTimeoutS).toBe(604_800);
    for (const bad of ['0', '-5', '1.5', '15m', '604801']) {
      expect(() => readLocalConfig({ KEE_AUTH: 'none', KEE_HEM_TIMEOUT_S: bad }), bad).toThrow(/^KEE_HEM_TIMEOUT_S must be whole seconds from 1 to 604800, got `/);
    }
  });
});
