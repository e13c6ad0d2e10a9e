import { describe, expect, it } from 'vitest';
import { declareJobs, JobsFileError, parseJobsFile } from '../../src/jobs-file.ts';
import { createHarness, type Harness } from '../support/scheduler-harness.ts';

const EVERY_MINUTE = { cron: { expression: '* * * * *' } };

function check(harness: Harness, data: unknown) {
  return parseJobsFile(JSON.stringify(data), 'jobs.json', {
    tasks: harness.tasks,
    defaultTimezone: 'UTC',
    now: harness.clock.now(),
  });
}

function problemsOf(harness: Harness, data: unknown): string[] {
  try {
    check(harness, data);
  } catch (error) {
    expect(error).toBeInstanceOf(JobsFileError);
    expect((error as JobsFileError).message).toMatch(/^jobs file jobs\.json is invalid:/);
    return (error as JobsFileError).problems;
  }
  throw new Error('expected the file to be refused');
}

describe('parseJobsFile', () => {
  it('accepts an array or { jobs: [...] }', async () => {
    await using harness = createHarness();
    const job = { id: 'a', task: 'record', trigger: EVERY_MINUTE };
    expect(check(harness, [job]).jobs).toEqual([{ index: 0, input: job }]);
    expect(check(harness, { $schema: 'x', jobs: [job] }).jobs).toEqual([{ index: 0, input: job }]);
  });

  it('refuses text that is not JSON, and other shapes', async () => {
    await using harness = createHarness();
    expect(() =>
      parseJobsFile('[{', 'jobs.json', { tasks: harness.tasks, defaultTimezone: 'UTC', now: 0 }),
    ).toThrow(/jobs file jobs\.json is invalid:\n {2}- is not valid JSON/);
    expect(problemsOf(harness, { job: [] })).toEqual([
      'must be an array of jobs or an object { "jobs": [...] }',
    ]);
    expect(problemsOf(harness, { jobs: [], extra: 1 })).toEqual([
      'unknown top-level field "extra" (expected "jobs")',
    ]);
  });

  it('names the index and the field of every problem, all at once', async () => {
    await using harness = createHarness();
    const problems = problemsOf(harness, [
      { id: 'ok', task: 'record', trigger: EVERY_MINUTE },
      'not an object',
      { id: 'bad-cron', task: 'record', trigger: { cron: { expression: '61 * * * *' } } },
      { task: 'record', trigger: EVERY_MINUTE },
      { id: 'typo', task: 'record', trigger: EVERY_MINUTE, maxInstance: 2 },
      { id: 'ok', task: 'record', trigger: EVERY_MINUTE },
      { id: 'no-task', task: 'nope', trigger: EVERY_MINUTE },
      {
        id: 'bad-zone',
        task: 'record',
        trigger: { cron: { expression: '0 9 * * *', timezone: 'Nowhere/City' } },
      },
    ]);
    expect(problems).toEqual([
      'jobs[1]: must be an object',
      expect.stringMatching(/^jobs\[2\]\.trigger\.cron\.expression: /),
      expect.stringMatching(/^jobs\[3\]\.id: is required in a jobs file/),
      expect.stringMatching(/^jobs\[4\]\.maxInstance: unknown field/),
      'jobs[5].id: "ok" is already used by jobs[0]',
      expect.stringMatching(/^jobs\[6\]\.task: unknown task "nope"/),
      expect.stringMatching(/^jobs\[7\]\.trigger\.cron\.timezone: unknown IANA time zone/),
    ]);
  });

  it('skips a one-shot date job whose date has passed instead of refusing to start', async () => {
    await using harness = createHarness({ start: '2026-06-01T00:00:00Z' });
    const parsed = check(harness, [
      { id: 'launch', task: 'record', trigger: { date: { runDate: '2026-05-01T00:00:00Z' } } },
      { id: 'later', task: 'record', trigger: { date: { runDate: '2026-07-01T00:00:00Z' } } },
    ]);
    expect(parsed.jobs.map((j) => j.input.id)).toEqual(['later']);
    // Its other fields are still checked.
    expect(
      problemsOf(harness, [
        { id: 'x', task: 'nope', trigger: { date: { runDate: '2026-05-01T00:00:00Z' } } },
      ]),
    ).toEqual([expect.stringMatching(/^jobs\[0\]\.task: unknown task/)]);
    expect(parsed.skipped).toEqual([
      { index: 0, id: 'launch', reason: 'trigger.date.runDate 2026-05-01T00:00:00.000Z has passed' },
    ]);
  });

  it('still refuses a cron expression that never fires', async () => {
    await using harness = createHarness();
    const problems = problemsOf(harness, [
      { id: 'feb30', task: 'record', trigger: { cron: { expression: '0 0 30 2 *' } } },
    ]);
    expect(problems).toEqual([expect.stringMatching(/^jobs\[0\]\.trigger\.cron\.expression: .*never fires/)]);
  });
});

describe('declareJobs (replace-existing)', () => {
  it('adds new jobs, keeps an unchanged one with its schedule, replaces a changed one', async () => {
    await using harness = createHarness();
    const interval = { id: 'tick', task: 'record', trigger: { interval: { minutes: 5 } } };
    const first = await declareJobs(
      harness.service,
      check(harness, [
        interval,
        { id: 'daily', task: 'record', trigger: { cron: { expression: '0 9 * * *' } } },
      ]),
      'jobs.json',
    );
    expect(first.declared.map((j) => j.id)).toEqual(['tick', 'daily']);
    const tick = await harness.service.getJob('tick');

    // A restart two minutes later with the same file: the interval keeps its anchor and next run.
    await harness.clock.advance(120_000);
    await declareJobs(
      harness.service,
      check(harness, [
        interval,
        { id: 'daily', task: 'record', trigger: { cron: { expression: '0 10 * * *' } } },
      ]),
      'jobs.json',
    );
    const kept = await harness.service.getJob('tick');
    expect(kept.version).toBe(tick.version);
    expect(kept.nextRunTime).toBe(tick.nextRunTime);
    const daily = await harness.service.getJob('daily');
    expect(daily.trigger).toMatchObject({ kind: 'cron', expression: '0 10 * * *' });
    expect(daily.version).toBe(2);
    expect(await harness.scheduler.store.count()).toBe(2);
  });

  it('leaves jobs that are not in the file alone', async () => {
    await using harness = createHarness();
    await harness.add({ id: 'added-at-runtime', trigger: EVERY_MINUTE });
    await declareJobs(
      harness.service,
      check(harness, [{ id: 'declared', task: 'record', trigger: EVERY_MINUTE }]),
      'f',
    );
    const page = await harness.scheduler.store.list({ first: 10 });
    expect(page.items.map((j) => j.id)).toEqual(['added-at-runtime', 'declared']);
  });
});

describe('declareJobs never overrides run-time state', () => {
  const tick = { id: 'tick', task: 'record', trigger: { interval: { minutes: 5 } } };

  async function declare(harness: Harness, jobs: unknown[]) {
    return declareJobs(harness.service, check(harness, jobs), 'jobs.json');
  }

  it("keeps an operator's pause when the same definition is declared again, and rewrites nothing", async () => {
    await using harness = createHarness();
    await declare(harness, [tick]);
    const paused = await harness.service.pauseJob('tick', 'maintenance window');

    // A restart two minutes later with the same file.
    await harness.clock.advance(120_000);
    await declare(harness, [tick]);
    const after = await harness.service.getJob('tick');
    expect(after).toMatchObject({
      paused: true,
      pausedAt: paused.pausedAt,
      pauseReason: 'maintenance window',
    });
    // Unchanged definition: the stored job is left exactly as the operator left it.
    expect(after.version).toBe(paused.version);
    expect(after.nextRunTime).toBe(paused.nextRunTime);
    expect(after.updatedAt).toBe(paused.updatedAt);

    // And it really stays paused: nothing fires while time passes.
    await harness.clock.advance(30 * 60_000);
    expect(harness.calls).toEqual([]);
  });

  it("keeps an operator's pause when a changed definition is declared", async () => {
    await using harness = createHarness();
    await declare(harness, [tick]);
    const paused = await harness.service.pauseJob('tick', 'maintenance window');

    await harness.clock.advance(120_000);
    await declare(harness, [{ ...tick, trigger: { interval: { minutes: 10 } }, args: { v: 2 } }]);
    const after = await harness.service.getJob('tick');
    expect(after).toMatchObject({
      paused: true,
      pausedAt: paused.pausedAt,
      pauseReason: 'maintenance window',
    });
    expect(after.args).toEqual({ v: 2 });
    expect(after.trigger).toMatchObject({ kind: 'interval' });
    expect(after.version).toBe(paused.version + 1);

    await harness.clock.advance(30 * 60_000);
    expect(harness.calls).toEqual([]);
  });

  it('keeps a pause through a declaration that says paused: false', async () => {
    await using harness = createHarness();
    await declare(harness, [{ ...tick, paused: false }]);
    const paused = await harness.service.pauseJob('tick', 'maintenance window');
    await declare(harness, [{ ...tick, paused: false }]);
    const after = await harness.service.getJob('tick');
    expect(after).toMatchObject({
      paused: true,
      pausedAt: paused.pausedAt,
      pauseReason: 'maintenance window',
    });
    expect(after.version).toBe(paused.version);
  });

  it("keeps an operator's resume of a job the file declares paused, and its schedule", async () => {
    await using harness = createHarness();
    await declare(harness, [{ ...tick, paused: true }]);
    const resumed = await harness.service.resumeJob('tick');
    expect(resumed.paused).toBe(false);

    await harness.clock.advance(120_000);
    await declare(harness, [{ ...tick, paused: true }]);
    const after = await harness.service.getJob('tick');
    expect(after.paused).toBe(false);
    // Unchanged definition: the interval keeps the anchor and next run the resume gave it.
    expect(after.version).toBe(resumed.version);
    expect(after.nextRunTime).toBe(resumed.nextRunTime);

    await harness.clock.advance(5 * 60_000);
    expect(harness.calls).toHaveLength(1);
  });
});
