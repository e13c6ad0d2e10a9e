/**
 * The audit trail of a job's whole life over GraphQL, on memory + PGlite and on Redis +
 * PostgreSQL: every change (add, update, pause,
 * resume, reschedule, backfill, quarantine by the scheduler, remove) is one entry with who made it
 * and the job before and after; Job.changes pages through it, Query.auditLog keeps it after removal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../adapters/redis-harness.ts';
import { BACKENDS } from './backends.ts';
import { type TestApp, TOKENS } from './harness.ts';

interface Change {
  action: string;
  actor: string;
  at: string;
  before: { name?: string; paused?: boolean; trigger?: { expression?: string } } | null;
  after: { name?: string; paused?: boolean; pauseReason?: string; fires?: number } | null;
}
interface ChangePage {
  edges: { node: Change }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const FIELDS = 'edges { node { action actor at before after } } pageInfo { hasNextPage endCursor }';

describe.each(BACKENDS)('the audit trail: $name', (backend) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ app, close } = await backend.open({ audited: true }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it.skipIf(backend.skip)(
    'records a job’s whole life, who made each change, and the job before and after',
    async () => {
      const { data } = app;
      await data(
        `mutation { addJob(input: { id: "life", name: "a", task: "test", trigger: { cron: { expression: "0 0 1 1 *" } } }) { id } }`,
      );
      await data(`mutation { updateJob(id: "life", input: { name: "renamed" }) { id } }`);
      const pause = await data<{ pauseJob: { pausedBy: string } }>(
        `mutation { pauseJob(id: "life", reason: "maintenance") { pausedBy } }`,
        {},
        TOKENS.bot,
      );
      expect(pause.pauseJob.pausedBy).toBe('deploy-bot (operate)');
      await data(`mutation { resumeJob(id: "life") { id } }`, {}, TOKENS.operate);
      await data(
        `mutation { rescheduleJob(id: "life", trigger: { cron: { expression: "30 0 1 1 *" } }) { id } }`,
      );
      const backfill = `mutation { backfillJob(id: "life", from: "2024-01-01T00:00:00Z", to: "2025-12-31T00:00:00Z", maxPerSecond: 100) { scheduledCount } }`;
      expect(await data(backfill, {}, TOKENS.operate)).toEqual({ backfillJob: { scheduledCount: 2 } });

      // A stored job the scheduler cannot plan (a zone this runtime does not know) is quarantined.
      const job = await app.service.getJob('life');
      if (job.trigger.kind !== 'cron') throw new Error('a cron job was expected');
      const now = app.scheduler.now();
      const poison = {
        ...job,
        trigger: { ...job.trigger, timezone: 'Mars/Olympus_Mons' },
        version: job.version + 1,
      };
      await app.jobStore.update({ ...poison, nextRunTime: now, dueAt: now }, job.version, 'replace');
      app.scheduler.wake();
      await app.busEvent(
        (e) => e.stream === 'job' && e.type === 'paused' && e.job.pauseReason !== 'maintenance',
      );
      // The system's entry is written after the event is out (the pause is stored either way).
      await waitFor(async () => {
        const latest: { job: { changes: ChangePage } } = await data(
          `{ job(id: "life") { changes(first: 1) { ${FIELDS} } } }`,
        );
        return latest.job.changes.edges[0]?.node.action === 'QUARANTINED';
      });

      // Job.changes, two at a time, while the job exists.
      const changes: Change[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { job: { changes: ChangePage } } = await data(
          `query ($after: String) { job(id: "life") { changes(first: 2, after: $after) { ${FIELDS} } } }`,
          { after },
          TOKENS.read,
        );
        changes.push(...page.job.changes.edges.map((edge) => edge.node));
        if (!page.job.changes.pageInfo.hasNextPage) break;
        after = page.job.changes.pageInfo.endCursor;
      }
      expect(changes.map((c) => [c.action, c.actor])).toEqual([
        ['QUARANTINED', 'system'],
        ['BACKFILLED', 'operate token'],
        ['RESCHEDULED', 'admin token'],
        ['RESUMED', 'operate token'],
        ['PAUSED', 'deploy-bot (operate)'],
        ['UPDATED', 'admin token'],
        ['ADDED', 'admin token'],
      ]);
      const [quarantined, backfilled, rescheduled, , paused, updated, added] = changes;
      expect(added?.before).toBeNull();
      expect(added?.after?.name).toBe('a');
      expect([updated?.before?.name, updated?.after?.name]).toEqual(['a', 'renamed']);
      expect([paused?.before?.paused, paused?.after?.paused, paused?.after?.pauseReason]).toEqual([
        false,
        true,
        'maintenance',
      ]);
      expect(rescheduled?.before?.trigger?.expression).toBe('0 0 1 1 *');
      expect(backfilled?.after?.fires).toBe(2);
      expect(quarantined?.after?.pauseReason).toMatch(/could not be planned/);
      const times = changes.map((c) => Date.parse(c.at));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      // Removed: the trail stays, readable by job id.
      await data(`mutation { removeJob(id: "life") { id } }`);
      const log: { auditLog: ChangePage } = await data(
        `{ auditLog(jobId: "life", first: 1) { ${FIELDS} } }`,
        {},
        TOKENS.read,
      );
      expect(log.auditLog.edges[0]?.node).toMatchObject({
        action: 'REMOVED',
        actor: 'admin token',
        after: null,
      });
      expect(log.auditLog.edges[0]?.node.before?.name).toBe('renamed');
    },
  );

  it.skipIf(backend.skip)(
    'says "jobs file" for a declared job, and lists every job’s changes in Query.auditLog',
    async () => {
      await app.service
        .as('jobs file')
        .addJob(
          { id: 'declared', task: 'test', trigger: { cron: { expression: '0 0 1 1 *' } } },
          { replaceExisting: true },
        );
      const all: { auditLog: ChangePage } = await app.data(
        `{ auditLog(first: 500) { ${FIELDS} } }`,
        {},
        TOKENS.read,
      );
      expect(all.auditLog.edges[0]?.node).toMatchObject({ action: 'ADDED', actor: 'jobs file' });
      expect(all.auditLog.edges).toHaveLength(9);
    },
  );
});
