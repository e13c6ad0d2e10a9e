/** The Redis codec keeps the schedule policies of a job, and reads definitions stored before them. */
import { describe, expect, it } from 'vitest';
import { checkDecoded, decodeJob, encodeDefinition, encodeNext } from '../../src/adapters/redis/job-codec.ts';
import type { Job } from '../../src/core/job.ts';
import { makeJob } from '../contract/job-store.contract.ts';

const roundTrip = (job: Job) =>
  decodeJob(encodeDefinition(job), encodeNext(job), String(job.version), job.paused);

describe('job codec: schedule policies', () => {
  it('round-trips coalesce, overlap and a cron trigger’s DST policy', () => {
    const job = makeJob('p', {
      coalesce: 'earliest',
      overlap: 'cancel_other',
      trigger: {
        kind: 'cron',
        expression: '30 2 * * *',
        timezone: 'America/New_York',
        dst: { gap: 'skip', repeat: 'both' },
        startDate: null,
        endDate: null,
        jitterMs: 0,
      },
    });
    const decoded = roundTrip(job);
    expect(decoded).toEqual(job);
    expect(checkDecoded(decoded, 'p')).toBeNull();
  });

  it('reads a definition stored before the policies: boolean coalesce, no overlap, no DST policy', () => {
    const job = makeJob('old');
    const stored = JSON.parse(encodeDefinition(job)) as Record<string, unknown>;
    stored.coalesce = false;
    delete stored.overlap;
    const decoded = decodeJob(JSON.stringify(stored), encodeNext(job), '1', false);
    expect(decoded.coalesce).toBe('all');
    expect(decoded.overlap).toBeUndefined();
    expect(checkDecoded(decoded, 'old')).toBeNull();
  });

  it('keeps maxRuns and runCount, also on a finished job', () => {
    for (const job of [
      makeJob('m', { maxRuns: 5, runCount: 3, nextRunTime: 1_000, dueAt: 1_200 }),
      makeJob('f', { maxRuns: 3, runCount: 3, nextRunTime: null, dueAt: null }),
    ])
      expect(roundTrip(job)).toEqual(job);
  });

  it('round-trips an any trigger and flags a nested one', () => {
    const member = { startDate: null, endDate: null, jitterMs: 0 };
    const job = makeJob('any', {
      trigger: {
        kind: 'any',
        ...member,
        triggers: [
          { kind: 'cron', expression: '0 9 * * *', timezone: 'UTC', ...member },
          { kind: 'date', runDate: 2_000_000_000_000, ...member },
        ],
      },
    });
    expect(roundTrip(job)).toEqual(job);
    expect(checkDecoded(roundTrip(job), 'any')).toBeNull();
    const nested = makeJob('n', { trigger: { kind: 'any', ...member, triggers: [job.trigger as never] } });
    expect(checkDecoded(roundTrip(nested), 'n')).toMatch(/nested/);
  });

  it('flags a policy that is not one', () => {
    const job = makeJob('bad', { overlap: 'queue' as never });
    expect(checkDecoded(roundTrip(job), 'bad')).toMatch(/overlap/);
  });
});
