import { createMemoryAuditLog } from '../../src/adapters/memory/audit-log.ts';
import { auditLogContract } from '../contract/audit-log.contract.ts';

auditLogContract('memory', async () => createMemoryAuditLog());
