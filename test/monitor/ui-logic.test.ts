/**
 * The page's pure logic, run in Node on the very modules the browser loads: triggers in words,
 * relative times, percentiles, job states, and the live feed's gap rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';

interface Format {
  triggerInWords(trigger: Record<string, unknown>): string;
  triggerSource(trigger: Record<string, unknown>): string;
  periodInWords(ms: number): string;
  relative(iso: string | null, now: number): string;
  duration(ms: number | null): string;
  percentile(values: number[], p: number): number | null;
  jobState(job: Record<string, unknown>): string;
}

interface FeedRow {
  gap?: number;
  event?: { sequence: number };
}

interface Feed {
  EMPTY_FEED: { lastSequence: number | null; rows: FeedRow[] };
  addEvent(feed: Feed['EMPTY_FEED'], event: unknown, receivedAt: number): Feed['EMPTY_FEED'];
}

/** The UI modules are plain JavaScript without types: loaded by URL, typed by the interfaces above. */
function load<T>(name: string): Promise<T> {
  return import(new URL(`../../src/monitor/ui/${name}`, import.meta.url).href) as Promise<T>;
}

let format: Format;
let feed: Feed;

beforeAll(async () => {
  // In a browser cronstrue's UMD build registers itself on globalThis; in Node it is a CommonJS module.
  (globalThis as Record<string, unknown>).cronstrue = (await import('cronstrue')).default;
  [format, feed] = await Promise.all([load<Format>('format.js'), load<Feed>('feed.js')]);
});

describe('triggers in words', () => {
  it('reads cron expressions in 24-hour time, with their zone', () => {
    const cron = (expression: string) =>
      format.triggerInWords({ __typename: 'CronTrigger', expression, timezone: 'Europe/Paris' });
    expect(cron('0 9 * * 1-5')).toBe('at 09:00, Monday through Friday, Europe/Paris');
    expect(cron('*/15 * * * *')).toBe('every 15 minutes, Europe/Paris');
    expect(cron('@hourly')).toBe('every hour, Europe/Paris');
    // What cronstrue cannot read is shown as typed.
    expect(cron('0 9 * * MON#9')).toBe('0 9 * * MON#9, Europe/Paris');
  });

  it('reads intervals by their largest exact units, and dates as once', () => {
    const interval = (parts: Record<string, number>) =>
      format.triggerInWords({ __typename: 'IntervalTrigger', ...parts });
    expect(interval({ minutes: 15 })).toBe('every 15 minutes');
    expect(interval({ seconds: 1 })).toBe('every second');
    expect(interval({ hours: 1.5 })).toBe('every 1 hour 30 minutes');
    expect(format.periodInWords(7 * 24 * 3600e3)).toBe('every week');
    expect(format.triggerInWords({ __typename: 'DateTrigger', runDate: '2026-03-01T09:00:00.000Z' })).toMatch(
      /^once, 01 Mar 2026/,
    );
  });

  it('reads an any trigger as its parts, in words and as typed', () => {
    const any = {
      __typename: 'AnyTrigger',
      triggers: [
        { __typename: 'IntervalTrigger', minutes: 15 },
        { __typename: 'CronTrigger', expression: '0 9 * * *', timezone: 'UTC' },
      ],
    };
    expect(format.triggerInWords(any)).toBe('every 15 minutes; or at 09:00, UTC');
    expect(format.triggerSource(any)).toBe('any of interval 15 minutes, cron 0 9 * * * (UTC)');
  });
});

describe('the monitor’s queries', () => {
  it('are accepted by the service as configured (schema, depth and cost limits), any triggers included', async () => {
    const modules = await Promise.all(
      ['overview.js', 'job-page.js', 'history.js'].map((name) => load<Record<string, unknown>>(name)),
    );
    const queries = modules.flatMap((m) =>
      Object.values(m).filter((v): v is string => typeof v === 'string' && v.startsWith('query Monitor')),
    );
    expect(queries.map((q) => /^query (\w+)/.exec(q)?.[1])).toEqual([
      'MonitorJobs',
      'MonitorSummary',
      'MonitorHour',
      'MonitorJob',
      'MonitorHistory',
    ]);
    const { createTestApp } = await import('../graphql/harness.ts');
    const app = createTestApp({ start: false });
    const variables = { since: new Date(0).toISOString(), id: 'none', jobId: 'none' };
    for (const query of queries) {
      const answer = await app.request(query, variables);
      expect(answer.errors?.map((e) => e.message) ?? [], query.slice(0, 40)).not.toContainEqual(
        expect.stringMatching(/limit|Cannot query|Unknown|Syntax/),
      );
      expect(answer.status, query.slice(0, 40)).toBe(200);
    }
  });
});

describe('numbers for people', () => {
  const now = Date.parse('2026-03-01T09:00:00Z');

  it('says how far away a time is', () => {
    expect(format.relative('2026-03-01T09:00:12Z', now)).toBe('in 12 sec.');
    expect(format.relative('2026-03-01T08:57:00Z', now)).toBe('3 min. ago');
    expect(format.relative('2026-03-01T16:00:00Z', now)).toBe('in 7 hr.');
    expect(format.relative(null, now)).toBe('—');
  });

  it('formats durations and takes nearest-rank percentiles', () => {
    expect(format.duration(850)).toBe('850 ms');
    expect(format.duration(2_340)).toBe('2.3 s');
    expect(format.duration(60_000)).toBe('1 min');
    expect(format.duration(null)).toBe('—');
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(format.percentile(hundred, 0.99)).toBe(99);
    expect(format.percentile([5], 0.99)).toBe(5);
    expect(format.percentile([], 0.99)).toBeNull();
  });

  it('sorts jobs into paused, finished, failing and active', () => {
    const next = '2026-03-01T10:00:00Z';
    expect(format.jobState({ paused: true, nextRunTime: null })).toBe('paused');
    expect(format.jobState({ paused: false, nextRunTime: null })).toBe('finished');
    expect(
      format.jobState({ paused: false, nextRunTime: next, lastExecution: { status: 'TIMED_OUT' } }),
    ).toBe('failing');
    expect(format.jobState({ paused: false, nextRunTime: next, lastExecution: { status: 'SUCCESS' } })).toBe(
      'active',
    );
  });
});

describe('live feed', () => {
  const event = (sequence: number) => ({
    type: 'STARTED',
    sequence,
    at: '2026-03-01T09:00:00Z',
    execution: { id: `e${sequence}`, jobId: 'j', jobName: 'j', status: 'RUNNING' },
  });

  it('lists events newest first and marks a gap where sequence numbers jump', () => {
    let state = feed.EMPTY_FEED;
    for (const sequence of [7, 8, 12, 13]) state = feed.addEvent(state, event(sequence), 0);
    expect(state.rows.map((row) => row.gap ?? row.event?.sequence)).toEqual([13, 12, 3, 8, 7]);
    expect(state.rows[2]).toMatchObject({ gap: 3 });
    expect(state.lastSequence).toBe(13);
  });

  it('keeps the newest 100 rows', () => {
    let state = feed.EMPTY_FEED;
    for (let sequence = 1; sequence <= 150; sequence++) state = feed.addEvent(state, event(sequence), 0);
    expect(state.rows).toHaveLength(100);
    expect(state.rows[0]?.event?.sequence).toBe(150);
  });
});
