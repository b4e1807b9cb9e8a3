import { describe, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { agentRegistryRoundTrip } from '../../../test/support/agent-registry-scenario.ts';
import { MemoryStore } from './store.ts';

runStorageContract('memory', async () => new MemoryStore());

describe('memory store', () => {
  it('keeps the agent registry: CRUD, journal records, replayed by the next kernel', async () => {
    await agentRegistryRoundTrip(new MemoryStore());
  });
});
