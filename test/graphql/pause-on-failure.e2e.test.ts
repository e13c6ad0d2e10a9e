/**
 * pauseAfterFailures end to end over GraphQL, on memory + PGlite and on Redis + PostgreSQL: a job
 * firing every second whose runs go fail, succeed, fail, fail, fail is paused by the scheduler
 * after its third consecutive failure (the success in between resets the count), says so in
 * pauseReason, emits the job event, is audited as the system's change, and fires no more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../src/core/task.ts';
import { BACKENDS } from './backends.ts';
import type { TestApp } from './harness.ts';

const OUTCOMES = ['fail', 'ok', 'fail', 'fail', 'fail'] as const;

interface HistoryRow {
  status: string;
  scheduledFor: string;
}

describe.each(BACKENDS)('pause after failures over GraphQL: $name', (backend) => {
  const runs = new Map<string, number>();
  // The n-th run of a job succeeds or fails as OUTCOMES says; runs past the list would succeed.
  const handler: TaskHandler = (_args, ctx) => {
    const n = runs.get(ctx.jobId) ?? 0;
    runs.set(ctx.jobId, n + 1);
    if (OUTCOMES[n] === 'fail') throw new Error(`run ${n + 1} fails`);
    return { ok: true };
  };
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ app, close } = await backend.open({ handler, audited: true }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it.skipIf(backend.skip)(
    'pauses after 3 consecutive failures, in the job, its events, its history and its audit trail',
    async () => {
      const added = await app.data<{ addJob: { pauseAfterFailures: number } }>(
        `mutation { addJob(input: { id: "flaky", task: "test", pauseAfterFailures: 3,
           trigger: { interval: { seconds: 1 } } }) { pauseAfterFailures } }`,
      );
      expect(added.addJob.pauseAfterFailures).toBe(3);
      const paused = await app.busEvent(
        (e) => e.stream === 'job' && e.type === 'paused' && e.job.id === 'flaky',
        12_000,
      );
      if (paused.stream !== 'job') throw new Error('a job event was expected');
      expect(paused.job.pauseReason).toBe('paused after 3 consecutive failed run(s) (pauseAfterFailures)');

      // No run after the pause: wait past two more nominal fires.
      const ranAtPause = runs.get('flaky');
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      expect(runs.get('flaky')).toBe(ranAtPause);
      expect(ranAtPause).toBe(OUTCOMES.length);

      const data = await app.data<{
        job: {
          paused: boolean;
          pausedBy: string;
          pauseReason: string;
          executions: { edges: { node: HistoryRow }[] };
          changes: { edges: { node: { action: string; actor: string } }[] };
        };
      }>(`{ job(id: "flaky") { paused pausedBy pauseReason
            executions(first: 50) { edges { node { status scheduledFor } } }
            changes(first: 10) { edges { node { action actor } } } } }`);
      expect(data.job).toMatchObject({ paused: true, pausedBy: 'system' });
      const statuses = data.job.executions.edges
        .map((e) => e.node)
        .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor))
        .map((r) => r.status);
      expect(statuses).toEqual(['FAILED', 'SUCCESS', 'FAILED', 'FAILED', 'FAILED']);
      expect(data.job.changes.edges.map((e) => [e.node.action, e.node.actor])).toEqual([
        ['PAUSED', 'system'],
        ['ADDED', 'admin token'],
      ]);
    },
    30_000,
  );
});
