/** The Redis codec keeps the schedule policies of a job, and reads definitions stored before them. */
import { describe, expect, it } from 'vitest';
import { encodeCompact, parseDefinition } from '../../src/adapters/redis/compact-definition.ts';
import { checkDecoded, decodeJob, encodeDefinition, encodeNext } from '../../src/adapters/redis/job-codec.ts';
import type { Job } from '../../src/core/job.ts';
import type { TriggerInput } from '../../src/core/trigger.ts';
import { compileTrigger } from '../../src/core/triggers/compile.ts';
import { makeJob } from '../contract/job-store.contract.ts';

const roundTrip = (job: Job) =>
  decodeJob(encodeDefinition(job), encodeNext(job), String(job.version), job.paused);

/** A definition as format 1 stored it: every field written out, as plain JSON. */
function formatOne(job: Job): Record<string, unknown> {
  const { nextRunTime, dueAt, paused, pausedAt, pauseReason, version, runCount, ...definition } = job;
  return definition;
}

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
    const stored = formatOne(job);
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

describe('job codec: compact definitions (format 2)', () => {
  const full = makeJob('c', {
    name: 'c',
    overlap: 'skip',
    maxRuns: null,
    pauseAfterFailures: null,
    exclusions: [],
    expectSuccessWithinMs: null,
    args: {},
  });

  it('leaves the defaults out and reads them back, trigger and retry keys in the order they were made', () => {
    const stored = encodeDefinition(full);
    expect(stored.length).toBeLessThan(JSON.stringify(formatOne(full)).length / 3);
    const decoded = roundTrip(full);
    expect(decoded).toEqual(full);
    expect(JSON.stringify(decoded.retry)).toBe(JSON.stringify(full.retry));
    expect(checkDecoded(decoded, 'c')).toBeNull();
  });

  it('reads each kind of compiled trigger back with its keys in compileTrigger’s order', () => {
    const inputs: TriggerInput[] = [
      { interval: { minutes: 1 } },
      { interval: { hours: 2, seconds: 5, startDate: 1_000, jitterMs: 10 } },
      { cron: { expression: '30 2 * * *', timezone: 'Europe/Paris' } },
      { cron: { expression: '30 2 * * *', dst: { gap: 'skip' }, endDate: 2_000_000_000_000 } },
      { date: { runDate: 2_000_000_000_000 } },
      { any: [{ cron: { expression: '0 9 * * *' } }, { interval: { days: 1 } }] },
    ];
    for (const input of inputs) {
      const trigger = compileTrigger(input, { now: 0, defaultTimezone: 'UTC' });
      const job = { ...full, trigger };
      expect(JSON.stringify(roundTrip(job).trigger)).toBe(JSON.stringify(trigger));
    }
  });

  it('carries the version among the names, where a reader from before it sees the same definition', () => {
    for (const job of [{ ...full, version: 12 }, makeJob('b', { version: 12 })]) {
      const stored = encodeDefinition(job);
      expect(stored).toMatch(/^~v12[{,]/);
      expect(decodeJob(stored, encodeNext(job), '3', false).version).toBe(12);
      // What the previous code stored for it, and what its reader (parseDefinition) made of each.
      const { nextRunTime, dueAt, paused, pausedAt, pauseReason, pausedBy, version, runCount, ...rest } = job;
      const before = encodeCompact(rest);
      expect(before).not.toContain('~v');
      expect(parseDefinition(stored)).toEqual(parseDefinition(before));
    }
  });

  it('leaves a cron zone of UTC out; one written out (stored before) reads the same', () => {
    const trigger = compileTrigger({ cron: { expression: '0 9 * * *' } }, { now: 0, defaultTimezone: 'UTC' });
    const job = { ...full, trigger };
    const stored = encodeDefinition(job);
    expect(stored).not.toContain('timezone');
    const written = stored.replace('"expression":"0 9 * * *"', '"expression":"0 9 * * *","timezone":"UTC"');
    expect(written).toContain('"timezone":"UTC"');
    for (const text of [stored, written]) {
      const decoded = decodeJob(text, encodeNext(job), null, false);
      expect(JSON.stringify(decoded.trigger)).toBe(JSON.stringify(trigger));
    }
    const paris = { ...full, trigger: { ...trigger, timezone: 'Europe/Paris' } };
    expect(roundTrip(paris).trigger).toEqual(paris.trigger);
  });

  it('keeps a job without the optional fields without them, and values that are not defaults', () => {
    const bare = makeJob('b');
    expect(roundTrip(bare)).toEqual(bare);
    expect(roundTrip(bare).overlap).toBeUndefined();
    const custom = makeJob('x', {
      args: { a: 1 },
      misfireGraceTimeMs: null,
      timeoutMs: 5_000,
      maxInstances: 3,
      retry: { attempts: 3, backoffMs: 1_000, factor: 2, maxBackoffMs: 300_000, jitter: false },
      updatedAt: 1_700_000_000_001,
      trigger: { kind: 'date', runDate: 2_000_000_000_000, startDate: null, endDate: null, jitterMs: 250 },
    });
    expect(roundTrip(custom)).toEqual(custom);
  });

  it('reads a format-1 definition (plain JSON, every field) as the same job', () => {
    const decoded = decodeJob(JSON.stringify(formatOne(full)), encodeNext(full), '1', false);
    expect(decoded).toEqual(full);
    expect(JSON.stringify(decoded.trigger)).toBe(JSON.stringify(full.trigger));
  });

  it('gives each decoded job its own default objects', () => {
    const a = roundTrip(full);
    const b = roundTrip(full);
    expect(a.retry).not.toBe(b.retry);
    expect(a.args).not.toBe(b.args);
  });
});
