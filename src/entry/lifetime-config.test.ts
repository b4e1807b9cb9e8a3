import { describe, expect, it } from 'vitest';
import { readLifetimeConfig } from './lifetime-config.ts';

describe('journal and session lifetime settings', () => {
  it('reads seconds and records; unset or empty keeps the defaults', () => {
    expect(readLifetimeConfig({})).toEqual({ journal: {}, sessions: {} });
    expect(readLifetimeConfig({ KEE_JOURNAL_BLOCK_SECONDS: '30', KEE_JOURNAL_BLOCK_RECORDS: '500', KEE_SESSION_MAX_SECONDS: '3600', KEE_SESSION_IDLE_SECONDS: ' 600 ', KEE_SESSION_IDLE_SECONDS_X: 'x' })).toEqual({
      journal: { blockMs: 30_000, blockRecords: 500 },
      sessions: { maxMs: 3_600_000, idleMs: 600_000 },
    });
    expect(readLifetimeConfig({ KEE_SESSION_MAX_SECONDS: '' })).toEqual({ journal: {}, sessions: {} });
  });

  it('refuses a value that is not a whole number in range, in one line naming the variable', () => {
    for (const [name, value] of [['KEE_JOURNAL_BLOCK_SECONDS', '0'], ['KEE_JOURNAL_BLOCK_RECORDS', '1e3'], ['KEE_SESSION_IDLE_SECONDS', '-5'], ['KEE_SESSION_MAX_SECONDS', '99999999999']] as const) {
      expect(() => readLifetimeConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number from 1 to \\d+, got \`${value.replace('-', '\\-')}\`$`));
    }
  });
});
