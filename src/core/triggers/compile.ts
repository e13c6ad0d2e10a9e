/**
 * Trigger input (API, jobs file) -> the normalized Trigger stored on a job. Every check a user can
 * act on happens here, once, at creation: the scheduler later trusts a stored trigger.
 */
import { ValidationError } from '../errors.ts';
import type {
  AnyTrigger,
  CronTrigger,
  CronTriggerInput,
  DateTrigger,
  DateTriggerInput,
  DstPolicy,
  IntervalTrigger,
  IntervalTriggerInput,
  SingleTrigger,
  Trigger,
  TriggerInput,
  TriggerWindow,
} from '../trigger.ts';
import { compileCron } from './cron.ts';
import { defaultDstPolicy } from './dst.ts';
import { intervalPeriodMs } from './interval.ts';
import { nextFireTime } from './next-fire.ts';
import { isValidTimeZone } from './timezone.ts';

export interface CompileContext {
  /** Creation time (epoch ms): the anchor of an interval without startDate, and "the past" for date triggers. */
  now: number;
  /** Zone of cron triggers that name none (the service's KAIROS_TIMEZONE). */
  defaultTimezone: string;
  /** Path of the trigger input in error messages; default 'trigger'. */
  field?: string;
}

const KINDS = ['cron', 'interval', 'date', 'any'] as const;
/** A job with more schedules than this is better split into jobs. */
const MAX_ANY = 20;
const INTERVAL_PARTS = ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;
const WINDOW_KEYS = ['startDate', 'endDate', 'jitterMs'];
/** The range of a JS Date. */
const MAX_INSTANT = 8.64e15;

export function compileTrigger(input: TriggerInput, ctx: CompileContext): Trigger {
  const field = ctx.field ?? 'trigger';
  const record = asRecord(input, field, 'must be an object with one of cron, interval, date, any');
  rejectUnknownKeys(record, KINDS, field);
  const given = KINDS.filter((kind) => record[kind] !== null && record[kind] !== undefined);
  if (given.length !== 1)
    throw new ValidationError(
      field,
      given.length === 0
        ? 'set one of cron, interval, date, any'
        : `set exactly one of cron, interval, date, any (got ${given.join(' and ')})`,
    );
  const kind = given[0]!;
  const path = `${field}.${kind}`;
  const trigger =
    kind === 'any'
      ? compileAnyInput(input.any!, ctx, path)
      : kind === 'cron'
        ? compileCronInput(input.cron!, ctx, path)
        : kind === 'interval'
          ? compileIntervalInput(input.interval!, ctx, path)
          : compileDateInput(input.date!, ctx, path);
  ensureFires(trigger, ctx.now, path);
  return trigger;
}

/** Members are compiled as triggers of their own; one that can never fire is refused by name. */
function compileAnyInput(input: TriggerInput[], ctx: CompileContext, path: string): AnyTrigger {
  if (!Array.isArray(input) || input.length < 2 || input.length > MAX_ANY)
    throw new ValidationError(path, `must list 2 to ${MAX_ANY} triggers`);
  const triggers = input.map((member, i) => {
    const field = `${path}[${i}]`;
    if (member?.any != null) throw new ValidationError(`${field}.any`, 'an any trigger cannot hold another');
    const trigger = compileTrigger(member, { ...ctx, field }) as SingleTrigger;
    if (trigger.jitterMs !== 0)
      throw new ValidationError(
        `${field}.${trigger.kind}.jitterMs`,
        'members of an any trigger take no jitter',
      );
    return trigger;
  });
  return { kind: 'any', triggers, startDate: null, endDate: null, jitterMs: 0 };
}

function compileCronInput(input: CronTriggerInput, ctx: CompileContext, path: string): CronTrigger {
  const record = asRecord(input, path, 'must be an object');
  rejectUnknownKeys(record, ['expression', 'timezone', 'dst', ...WINDOW_KEYS], path);
  if (typeof input.expression !== 'string')
    throw new ValidationError(`${path}.expression`, 'is required: a cron expression such as "0 9 * * 1-5"');
  const timezone = input.timezone ?? ctx.defaultTimezone;
  if (typeof timezone !== 'string' || !isValidTimeZone(timezone))
    throw new ValidationError(`${path}.timezone`, `unknown IANA time zone "${String(timezone)}"`);
  const window = parseWindow(input, path);
  const expression = input.expression.trim();
  compileCron(expression, timezone, path);
  // Left out when not set, so a trigger without a policy is stored as it was before policies.
  const dst = input.dst == null ? {} : { dst: parseDst(input.dst, expression, `${path}.dst`) };
  return { kind: 'cron', expression, timezone, ...window, ...dst };
}

/** A part left out keeps cronie's rule for the expression; stored whole, so it reads back as it runs. */
function parseDst(input: unknown, expression: string, path: string): DstPolicy {
  const record = asRecord(input, path, 'must be an object with gap and/or repeat');
  rejectUnknownKeys(record, ['gap', 'repeat'], path);
  const base = defaultDstPolicy(expression);
  const choice = <T extends string>(key: string, choices: readonly T[], fallback: T): T => {
    const value = record[key];
    if (value === null || value === undefined) return fallback;
    const found = choices.find((c) => typeof value === 'string' && c === value.toLowerCase());
    if (found === undefined)
      throw new ValidationError(
        `${path}.${key}`,
        `must be one of ${choices.map((c) => c.toUpperCase()).join(', ')}, got ${JSON.stringify(value)}`,
      );
    return found;
  };
  return {
    gap: choice('gap', ['shift', 'skip'] as const, base.gap),
    repeat: choice('repeat', ['first', 'last', 'both'] as const, base.repeat),
  };
}

function compileIntervalInput(
  input: IntervalTriggerInput,
  ctx: CompileContext,
  path: string,
): IntervalTrigger {
  const record = asRecord(input, path, 'must be an object');
  rejectUnknownKeys(record, [...INTERVAL_PARTS, ...WINDOW_KEYS], path);
  const parts = { weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, milliseconds: 0 };
  const given: string[] = [];
  for (const name of INTERVAL_PARTS) {
    const value = input[name];
    if (value === null || value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new ValidationError(`${path}.${name}`, `must be a finite number >= 0, got ${String(value)}`);
    parts[name] = value;
    given.push(name);
  }
  const period = intervalPeriodMs(parts);
  // Name the one part given when there is one, so `seconds: 0` points at seconds.
  const periodField = given.length === 1 ? `${path}.${given[0]}` : path;
  if (period < 1)
    throw new ValidationError(
      periodField,
      'the interval must be at least 1 ms: set weeks, days, hours, minutes, seconds or milliseconds',
    );
  if (!Number.isSafeInteger(period) || period > MAX_INSTANT)
    throw new ValidationError(periodField, 'the interval is too long');
  const window = parseWindow(input, path);
  return { kind: 'interval', ...parts, ...window, anchor: window.startDate ?? ctx.now };
}

function compileDateInput(input: DateTriggerInput, ctx: CompileContext, path: string): DateTrigger {
  const record = asRecord(input, path, 'must be an object');
  // startDate/endDate mean nothing for one fire; tolerated only when null (a generic input shape).
  rejectUnknownKeys(record, ['runDate', 'jitterMs'], path);
  if (input.runDate === null || input.runDate === undefined)
    throw new ValidationError(`${path}.runDate`, 'is required');
  const runDate = parseInstant(input.runDate, `${path}.runDate`);
  if (runDate <= ctx.now)
    throw new ValidationError(
      `${path}.runDate`,
      `${new Date(runDate).toISOString()} is in the past (now is ${new Date(ctx.now).toISOString()})`,
    );
  return {
    kind: 'date',
    runDate,
    startDate: null,
    endDate: null,
    jitterMs: parseJitter(input.jitterMs, path),
  };
}

function parseWindow(
  input: { startDate?: unknown; endDate?: unknown; jitterMs?: unknown },
  path: string,
): TriggerWindow {
  const startDate = parseOptionalInstant(input.startDate, `${path}.startDate`);
  const endDate = parseOptionalInstant(input.endDate, `${path}.endDate`);
  if (startDate !== null && endDate !== null && endDate < startDate)
    throw new ValidationError(
      `${path}.endDate`,
      `${new Date(endDate).toISOString()} is before startDate ${new Date(startDate).toISOString()}`,
    );
  return { startDate, endDate, jitterMs: parseJitter(input.jitterMs, path) };
}

function parseJitter(value: unknown, path: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ValidationError(
      `${path}.jitterMs`,
      `must be an integer >= 0 (milliseconds), got ${String(value)}`,
    );
  return value;
}

/** A trigger that cannot fire after creation is a mistake to report now, not a job that silently never runs. */
function ensureFires(trigger: Trigger, now: number, path: string): void {
  if (nextFireTime(trigger, now) !== null) return;
  const withoutEnd = { ...trigger, endDate: null };
  if (trigger.endDate !== null && nextFireTime(withoutEnd, now) !== null)
    throw new ValidationError(
      `${path}.endDate`,
      `never fires: no fire between now and endDate ${new Date(trigger.endDate).toISOString()}`,
    );
  if (trigger.kind === 'any') throw new ValidationError(path, 'never fires: no member fires after now');
  const subject = trigger.kind === 'cron' ? 'expression' : trigger.kind === 'date' ? 'runDate' : 'startDate';
  throw new ValidationError(`${path}.${subject}`, 'never fires: no fire after now');
}

function parseOptionalInstant(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : parseInstant(value, field);
}

// YYYY-MM-DDTHH:mm[:ss[.fff]] then Z or ±HH[:]mm. An offset is required: a local time would be
// read in the process's zone, which differs between replicas.
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/** An instant as epoch ms: an integer epoch ms number, an ISO 8601 string with a UTC offset, or a Date. */
export function parseInstant(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_INSTANT)
      throw new ValidationError(field, `${value} is not an integer number of epoch milliseconds`);
    return value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new ValidationError(field, 'is an invalid Date');
    return ms;
  }
  if (typeof value === 'string') return parseIsoInstant(value, field);
  throw new ValidationError(field, 'must be epoch milliseconds, an ISO 8601 string or a Date');
}

function parseIsoInstant(text: string, field: string): number {
  const m = ISO_INSTANT.exec(text.trim());
  const invalid = () =>
    new ValidationError(
      field,
      `"${text}" is not an ISO 8601 instant with a UTC offset (e.g. 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00)`,
    );
  if (!m) throw invalid();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(
    Number,
  ) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetMinutes = m[8]!.toUpperCase() === 'Z' ? 0 : Number(m[10]) * 60 + Number(m[11]);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    Number(m[10] ?? 0) > 23 ||
    Number(m[11] ?? 0) > 59
  )
    throw invalid();
  // setUTCFullYear, because Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetSign * offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

function asRecord(value: unknown, field: string, message: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date)
    throw new ValidationError(field, message);
  return value as Record<string, unknown>;
}

/** A misspelt key (`expresion`, `timeZone`) would otherwise be dropped silently. Null values are tolerated. */
function rejectUnknownKeys(record: Record<string, unknown>, known: readonly string[], path: string): void {
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined || known.includes(key)) continue;
    throw new ValidationError(`${path}.${key}`, `unknown field (expected one of ${known.join(', ')})`);
  }
}
