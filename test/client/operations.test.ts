/**
 * The typed client in client/: the generated types match the operations and the schema (generated
 * again in memory and compared with the files; `npm run client:generate` rewrites them), and
 * every operation runs against the service as typed.
 */
import { readFile } from 'node:fs/promises';
import { generate } from '@graphql-codegen/cli';
import { print } from 'graphql';
import { describe, expect, test } from 'vitest';
import config from '../../client/codegen.ts';
import {
  ExecutionFeedDocument,
  type ExecutionFeedSubscription,
  JobWithHistoryDocument,
  type JobWithHistoryQuery,
  ListJobsDocument,
  type ListJobsQuery,
  PauseJobDocument,
  type PauseJobMutation,
  type PauseJobMutationVariables,
  ResumeJobDocument,
  RunJobNowDocument,
  type RunJobNowMutation,
  SummaryDocument,
  type SummaryQuery,
} from '../../client/generated/graphql.ts';
import { createTestApp } from '../graphql/harness.ts';

describe('typed client', () => {
  test('the generated files are up to date (npm run client:generate)', async () => {
    const outputs = (await generate({ ...config, silent: true }, false)) as {
      filename: string;
      content: string;
    }[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const { filename, content } of outputs) {
      const onDisk = await readFile(filename, 'utf8').catch(() => '(missing)');
      expect(onDisk, `${filename} is stale: run npm run client:generate`).toBe(content);
    }
  }, 60_000);

  test('the operations run against the service and answer as typed', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'report', task: 'test', trigger: { interval: { hours: 1 } } });
    const since = new Date(Date.now() - 3_600_000).toISOString();

    const jobs = await app.data<ListJobsQuery>(print(ListJobsDocument));
    expect(jobs.jobs.edges.map((e) => [e.node.id, e.node.health, e.node.trigger.__typename])).toEqual([
      ['report', 'OK', 'IntervalTrigger'],
    ]);
    const summary = await app.data<SummaryQuery>(print(SummaryDocument), { since });
    expect(summary.scheduler.running).toBe(true);

    const ran = await app.data<RunJobNowMutation>(print(RunJobNowDocument), { id: 'report' });
    await app.busEvent(
      (e) => e.stream === 'execution' && e.execution.id === ran.runJobNow.id && e.type === 'succeeded',
    );
    const variables: PauseJobMutationVariables = { id: 'report', reason: 'maintenance' };
    const paused = await app.data<PauseJobMutation>(print(PauseJobDocument), variables);
    expect(paused.pauseJob).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    await app.data(print(ResumeJobDocument), { id: 'report' });

    const job = await app.data<JobWithHistoryQuery>(print(JobWithHistoryDocument), { id: 'report' });
    expect(job.job?.executions.totalCount).toBe(1);
    expect(job.job?.executions.edges[0]?.node.status).toBe('SUCCESS');
    expect(job.job?.stats.counts).toEqual([{ status: 'SUCCESS', count: 1 }]);
    expect(job.job?.paused).toBe(false);
  });

  test('the execution feed subscribes over SSE', async () => {
    await using app = createTestApp();
    await app.service.addJob({ id: 'report', task: 'test', trigger: { interval: { hours: 1 } } });
    const feed = await app.sse(print(ExecutionFeedDocument), { jobId: 'report' });
    await feed.next(); // the stream is open
    await app.subscribers(1);
    await app.service.runJobNow('report');
    const payload = (await feed.nextPayload()).data as ExecutionFeedSubscription;
    expect(payload.executionEvents).toMatchObject({ type: 'STARTED', execution: { jobId: 'report' } });
    feed.close();
  });
});
