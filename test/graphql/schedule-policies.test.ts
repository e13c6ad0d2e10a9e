/** DST policies and the coalesce policy over GraphQL: inputs, what a job reads back, marked previews. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, TOKENS } from './harness.ts';

let app: TestApp;
beforeAll(() => {
  app = createTestApp();
});
afterAll(async () => {
  await app.scheduler.stop({ deadlineMs: 0 });
});

describe('schedule policies over GraphQL', () => {
  it('previewTriggerRuns marks the fire a spring-forward moved, and says the policy in effect', async () => {
    const data = await app.data<{
      previewTriggerRuns: { at: string; dstAdjusted: boolean; dstNote: string | null }[];
    }>(
      `{ previewTriggerRuns(trigger: { cron: { expression: "30 2 * * *", timezone: "America/New_York" } },
           after: "2026-03-07T12:00:00Z", count: 2) { at dstAdjusted dstNote } }`,
    );
    expect(data.previewTriggerRuns).toEqual([
      { at: '2026-03-08T07:00:00.000Z', dstAdjusted: true, dstNote: 'SHIFTED' },
      { at: '2026-03-09T06:30:00.000Z', dstAdjusted: false, dstNote: null },
    ]);
    const skipped = await app.data<{ previewTriggerRuns: { at: string }[] }>(
      `{ previewTriggerRuns(trigger: { cron: { expression: "30 2 * * *", timezone: "America/New_York",
           dst: { gap: SKIP } } }, after: "2026-03-07T12:00:00Z", count: 1) { at } }`,
    );
    expect(skipped.previewTriggerRuns).toEqual([{ at: '2026-03-09T06:30:00.000Z' }]);
  });

  it('a job reads back its coalesce policy, overlap and DST policy (defaults filled in)', async () => {
    const data = await app.data<{ addJob: Record<string, unknown> }>(
      `mutation { addJob(input: { id: "p", task: "test", coalescePolicy: EARLIEST, overlap: BUFFER_ALL,
           trigger: { cron: { expression: "*/5 * * * *", timezone: "Europe/Paris", dst: { repeat: FIRST } } } }) {
         coalesce coalescePolicy overlap
         trigger { ... on CronTrigger { dst { gap repeat } } }
         upcomingRuns(count: 1) { dstAdjusted } } }`,
    );
    expect(data.addJob).toEqual({
      coalesce: true,
      coalescePolicy: 'EARLIEST',
      overlap: 'BUFFER_ALL',
      trigger: { dst: { gap: 'SKIP', repeat: 'FIRST' } },
      upcomingRuns: [{ dstAdjusted: false }],
    });
    const updated = await app.data<{ updateJob: { coalesce: boolean; coalescePolicy: string } }>(
      `mutation { updateJob(id: "p", input: { coalesce: false }) { coalesce coalescePolicy } }`,
    );
    expect(updated.updateJob).toEqual({ coalesce: false, coalescePolicy: 'ALL' });
  });

  it('pauseJob records who paused: a named token by its name and scope', async () => {
    await app.data(
      `mutation { addJob(input: { id: "named", task: "test", trigger: { interval: { hours: 1 } } }) { id } }`,
    );
    const data = await app.data<{ pauseJob: { pausedBy: string } }>(
      `mutation { pauseJob(id: "named") { pausedBy } }`,
      {},
      TOKENS.bot,
    );
    expect(data.pauseJob.pausedBy).toBe('deploy-bot (operate)');
  });

  it('pauseJob records who paused: an unnamed token, by its scope', async () => {
    await app.data(`mutation { addJob(input: { id: "w", task: "test", pauseAfterFailures: 3, maxRuns: 10,
      trigger: { interval: { hours: 1 } } }) { id } }`);
    const data = await app.data<{ pauseJob: Record<string, unknown> }>(
      `mutation { pauseJob(id: "w", reason: "deploy") { pausedBy pauseReason pauseAfterFailures maxRuns runCount remainingRuns } }`,
      {},
      TOKENS.operate,
    );
    expect(data.pauseJob).toEqual({
      pausedBy: 'operate token',
      pauseReason: 'deploy',
      pauseAfterFailures: 3,
      maxRuns: 10,
      runCount: 0,
      remainingRuns: 10,
    });
  });

  it('a job takes several triggers and reads them back', async () => {
    const data = await app.data<{ addJob: { trigger: unknown; upcoming: string[] } }>(
      `mutation { addJob(input: { id: "many", task: "test", trigger: { any: [
          { cron: { expression: "0 9 * * *" } },
          { date: { runDate: "2099-01-01T00:00:00Z" } } ] } }) {
        trigger { ... on AnyTrigger { triggers { __typename ... on CronTrigger { expression } } } }
        upcoming(count: 1) } }`,
    );
    expect(data.addJob.trigger).toEqual({
      triggers: [{ __typename: 'CronTrigger', expression: '0 9 * * *' }, { __typename: 'DateTrigger' }],
    });
    expect(data.addJob.upcoming).toHaveLength(1);
  });

  it('takes exclusions and reads them back', async () => {
    const data = await app.data<{ addJob: { exclusions: unknown[] } }>(
      `mutation { addJob(input: { id: "holidays", task: "test", trigger: { cron: { expression: "0 9 * * *" } },
          exclusions: [{ date: "2026-12-25", timezone: "Europe/Paris", note: "Christmas" },
                       { cron: "0 2 * * 0", durationMs: 7200000 }] }) {
        exclusions { date cron durationMs from to timezone note } } }`,
    );
    expect(data.addJob.exclusions).toEqual([
      {
        date: '2026-12-25',
        cron: null,
        durationMs: null,
        from: null,
        to: null,
        timezone: 'Europe/Paris',
        note: 'Christmas',
      },
      {
        date: null,
        cron: '0 2 * * 0',
        durationMs: 7200000,
        from: null,
        to: null,
        timezone: 'UTC',
        note: null,
      },
    ]);
  });
});
