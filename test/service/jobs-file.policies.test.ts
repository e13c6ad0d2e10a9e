/** The schedule policies in a jobs file: declared, checked with their paths, and kept across restarts. */
import { describe, expect, it } from 'vitest';
import { declareJobs, JobsFileError, parseJobsFile } from '../../src/jobs-file.ts';
import { createHarness, type Harness } from '../support/scheduler-harness.ts';

const POLICIES = {
  id: 'report',
  task: 'record',
  overlap: 'BUFFER_ONE',
  coalesce: 'EARLIEST',
  maxRuns: 5,
  pauseAfterFailures: 3,
  exclusions: [{ date: '2026-12-25', note: 'Christmas' }],
  trigger: {
    any: [
      { cron: { expression: '30 2 * * *', timezone: 'America/New_York', dst: { gap: 'SKIP' } } },
      { interval: { hours: 6 } },
    ],
  },
};

const parse = (h: Harness, jobs: unknown[]) =>
  parseJobsFile(JSON.stringify({ jobs }), 'jobs.json', {
    tasks: h.tasks,
    defaultTimezone: 'UTC',
    now: h.clock.now(),
  });

describe('jobs file: schedule policies', () => {
  it('declares them, and a second declaration of the same file changes nothing (the run count stays)', async () => {
    await using h = createHarness({ autoStart: false });
    await declareJobs(h.service.as('jobs file'), parse(h, [POLICIES]), 'jobs.json');
    const job = await h.service.getJob('report');
    expect([job.overlap, job.coalesce, job.maxRuns, job.pauseAfterFailures, job.exclusions?.length]).toEqual([
      'buffer_one',
      'earliest',
      5,
      3,
      1,
    ]);
    expect(job.trigger.kind === 'any' && job.trigger.triggers[0]).toMatchObject({
      dst: { gap: 'skip', repeat: 'first' },
    });
    await h.clock.advance(60_000); // a restart later: the interval member's anchor would differ
    await declareJobs(h.service.as('jobs file'), parse(h, [POLICIES]), 'jobs.json');
    expect((await h.service.getJob('report')).version).toBe(job.version);
    await declareJobs(
      h.service.as('jobs file'),
      parse(h, [{ ...POLICIES, overlap: 'CANCEL_OTHER' }]),
      'jobs.json',
    );
    expect((await h.service.getJob('report')).overlap).toBe('cancel_other');
  });

  it('reports a bad policy with its path', async () => {
    await using h = createHarness({ autoStart: false });
    try {
      parse(h, [{ ...POLICIES, overlap: 'QUEUE' }]);
      throw new Error('expected the file to be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(JobsFileError);
      expect((error as JobsFileError).problems.join('\n')).toMatch(/jobs\[0\]\.overlap/);
    }
  });
});
