import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { MemoryStore } from './store.ts';

runStorageContract('memory', async () => new MemoryStore());
