/**
 * The AuditLog contract (src/core/ports.ts), run against every adapter by test/adapters/audit-log.*.test.ts.
 * `create` is called before each test and must give an empty log.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import { uuidv7 } from '../../src/core/ids.ts';
import type { AuditEntry, AuditLog } from '../../src/core/ports.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  const at = overrides.at ?? T0;
  return {
    id: uuidv7(at),
    jobId: 'job-a',
    action: 'updated',
    actor: 'admin token',
    at,
    before: { name: 'old', nested: { list: [1, 'two', null] } },
    after: { name: 'new', nested: { list: [1, 'two', null] } },
    ...overrides,
  };
}

async function all(log: AuditLog, jobId?: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await log.list({ first: 2, after, jobId });
    out.push(...page.items);
    if (!page.hasNextPage) return out;
    after = page.endCursor;
  }
}

export function auditLogContract(name: string, create: () => Promise<AuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    it('stores entries as given (JSON values, null before/after) and reads them back', async () => {
      const log = await create();
      const added = entry({ action: 'added', before: null, actor: 'jobs file' });
      await log.record([added]);
      expect((await log.list({ first: 10 })).items).toEqual([added]);
    });

    it('lists newest first (at, then id), per job or all, across pages without gaps or repeats', async () => {
      const log = await create();
      const entries = [
        entry({ jobId: 'a', at: T0 }),
        entry({ jobId: 'b', at: T0 + 1 }),
        entry({ jobId: 'a', at: T0 + 1 }),
        entry({ jobId: 'a', at: T0 + 2, action: 'removed', after: null }),
        entry({ jobId: 'b', at: T0 + 3, actor: 'system', action: 'quarantined' }),
      ];
      await log.record(entries.slice(0, 2));
      await log.record(entries.slice(2));
      const newest = [...entries].sort((x, y) => y.at - x.at || (x.id < y.id ? 1 : -1));
      expect(await all(log)).toEqual(newest);
      expect(await all(log, 'a')).toEqual(newest.filter((e) => e.jobId === 'a'));
      const empty = await log.list({ first: 10, jobId: 'none' });
      expect(empty).toEqual({ items: [], hasNextPage: false, endCursor: null });
    });

    it('recording the same entry again keeps one (a repeated call is safe)', async () => {
      const log = await create();
      const one = entry();
      await log.record([one]);
      await log.record([one, { ...one, actor: 'someone else' }]);
      expect((await log.list({ first: 10 })).items).toEqual([one]);
    });

    it('refuses a bad entry or cursor with ValidationError, storing nothing of the batch', async () => {
      const log = await create();
      await expect(log.record([entry(), entry({ id: 'nope' })])).rejects.toBeInstanceOf(ValidationError);
      await expect(
        log.record([entry({ action: 'exploded' as AuditEntry['action'] })]),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(log.record([entry({ actor: '' })])).rejects.toBeInstanceOf(ValidationError);
      await expect(log.list({ first: 1, after: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
      expect((await log.list({ first: 10 })).items).toEqual([]);
    });

    it('deleteBefore removes entries older than the instant and says how many', async () => {
      const log = await create();
      const old = entry({ at: T0 - 1 });
      const kept = entry({ at: T0 });
      await log.record([old, kept]);
      expect(await log.deleteBefore(T0)).toBe(1);
      expect((await log.list({ first: 10 })).items).toEqual([kept]);
    });
  });
}
