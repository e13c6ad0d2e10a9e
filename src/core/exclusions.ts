/**
 * Exclusions (Quartz calendars): times a job does not fire, such as holidays or a maintenance
 * window. An excluded time is still a nominal fire of the job, so it is recorded (SKIPPED, the
 * reason naming the exclusion): the accounting invariant holds as for any fire that did not run.
 */
import { ValidationError } from './errors.ts';
import { parseInstant } from './triggers/compile.ts';
import { compileCron, nextCronTime } from './triggers/cron.ts';
import { wallClock } from './triggers/dst.ts';
import { isValidTimeZone } from './triggers/timezone.ts';
import { requireInteger, requireString } from './validate.ts';

/** Exactly one of the three shapes; `note` says why (shown in the skipped record). */
export type Exclusion = { note: string | null } & (
  | { kind: 'date'; date: string; timezone: string }
  | { kind: 'window'; cron: string; durationMs: number; timezone: string }
  | { kind: 'range'; from: number; to: number }
);

export interface ExclusionInput {
  /** A local date, YYYY-MM-DD: the whole day. */
  date?: string | null;
  /** A cron expression: a window opens at each of its times and lasts durationMs. */
  cron?: string | null;
  durationMs?: number | null;
  /** Absolute: from (inclusive) to (exclusive). */
  from?: number | string | Date | null;
  to?: number | string | Date | null;
  /** Zone of date and cron; default the service's. */
  timezone?: string | null;
  note?: string | null;
}

const MAX_EXCLUSIONS = 100;
const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The reason `at` is excluded, or null when it is not. */
export function exclusionAt(exclusions: readonly Exclusion[] | undefined, at: number): string | null {
  for (const exclusion of exclusions ?? []) {
    if (!covers(exclusion, at)) continue;
    const what =
      exclusion.kind === 'date'
        ? `date ${exclusion.date} (${exclusion.timezone})`
        : exclusion.kind === 'window'
          ? `window "${exclusion.cron}" for ${exclusion.durationMs} ms (${exclusion.timezone})`
          : `${new Date(exclusion.from).toISOString()} to ${new Date(exclusion.to).toISOString()}`;
    return `excluded: ${what}${exclusion.note ? `: ${exclusion.note}` : ''}`;
  }
  return null;
}

function covers(exclusion: Exclusion, at: number): boolean {
  switch (exclusion.kind) {
    case 'date':
      return new Date(wallClock(exclusion.timezone, at)).toISOString().slice(0, 10) === exclusion.date;
    case 'window': {
      // The first window start after at - duration: the window holding `at` opened then, if it did.
      const start = nextCronTime(exclusion.cron, exclusion.timezone, at - exclusion.durationMs);
      return start !== null && start <= at;
    }
    case 'range':
      return exclusion.from <= at && at < exclusion.to;
  }
}

export function requireExclusions(value: unknown, defaultTimezone: string): Exclusion[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_EXCLUSIONS)
    throw new ValidationError('exclusions', `must be a list of at most ${MAX_EXCLUSIONS} exclusions`);
  return value.map((item, i) =>
    requireExclusion(item as ExclusionInput, `exclusions[${i}]`, defaultTimezone),
  );
}

function requireExclusion(input: ExclusionInput, field: string, defaultTimezone: string): Exclusion {
  if (typeof input !== 'object' || input === null) throw new ValidationError(field, 'must be an object');
  const note = input.note == null ? null : requireString(`${field}.note`, input.note, 200);
  const shapes = [input.date != null, input.cron != null, input.from != null || input.to != null];
  if (shapes.filter(Boolean).length !== 1)
    throw new ValidationError(field, 'set exactly one of date, cron (with durationMs), from and to');
  const timezone = input.timezone ?? defaultTimezone;
  if (!isValidTimeZone(timezone))
    throw new ValidationError(`${field}.timezone`, `unknown IANA time zone "${String(timezone)}"`);
  if (input.date != null) {
    const m = DATE.exec(String(input.date));
    if (!m || Number.isNaN(Date.parse(`${input.date}T00:00:00Z`)))
      throw new ValidationError(
        `${field}.date`,
        `must be a date YYYY-MM-DD, got ${JSON.stringify(input.date)}`,
      );
    return { kind: 'date', date: String(input.date), timezone, note };
  }
  if (input.cron != null) {
    const cron = requireString(`${field}.cron`, input.cron, 200);
    compileCron(cron, timezone, field);
    const durationMs = requireInteger(`${field}.durationMs`, input.durationMs, 1_000, 31 * DAY_MS);
    return { kind: 'window', cron, durationMs, timezone, note };
  }
  if (input.from == null || input.to == null) throw new ValidationError(field, 'set both from and to');
  const from = parseInstant(input.from, `${field}.from`);
  const to = parseInstant(input.to, `${field}.to`);
  if (to <= from) throw new ValidationError(`${field}.to`, 'must be after from');
  return { kind: 'range', from, to, note };
}
