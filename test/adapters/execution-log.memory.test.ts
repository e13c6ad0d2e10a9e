import { createMemoryExecutionLog } from '../../src/adapters/memory/execution-log.ts';
import { executionLogContract } from '../contract/execution-log.contract.ts';

executionLogContract('memory', async () => createMemoryExecutionLog());
