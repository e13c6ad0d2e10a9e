/**
 * How a job is split across keys: the definition as JSON without its defaults
 * (compact-definition.ts; decoded only here, never in Lua, where cjson would turn [] into {}),
 * its version written among the format's names, first (`~v3,overlap{...}`: scripts compare and
 * bump it without decoding, and its own hash cost ~56 bytes a job), and the fields scripts must
 * read or write kept apart: the schedule and paused flag as plain strings, the pause info
 * (pausedAt, pauseReason) as its own JSON so a script can set it (quarantine) without editing the
 * definition. A definition stored before the version moved in (no `~v`) has its version in the
 * `ver` hash until the job is next updated; a replica of that version reads a new definition
 * too, without its version (the `v3` is an unknown name to it).
 */
import { ValidationError } from '../../core/errors.ts';
import type { Job, OverlapPolicy } from '../../core/job.ts';
import { OVERLAP_POLICIES } from '../../core/job.ts';
import { encodeCompact, parseDefinition } from './compact-definition.ts';

export function encodeDefinition(job: Job): string {
  const {
    nextRunTime: _n,
    dueAt: _d,
    paused: _p,
    pausedAt: _pa,
    pauseReason: _pr,
    pausedBy: _pb,
    version: _v,
    runCount: _rc,
    ...definition
  } = job;
  return encodeCompact(definition, job.version);
}

/** A version the stored digits can carry; checked before a job joins a batch, which it would fail. */
export function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new ValidationError('version', `must be a non-negative integer, got ${version}`);
  }
}

/** The version digits a definition carries (`~v<digits>`), or null for one stored before. */
function storedVersion(stored: string): string | null {
  if (stored.charCodeAt(0) !== 126 || stored.charCodeAt(1) !== 118) return null; // "~v"
  let end = 2;
  while (end < stored.length) {
    const c = stored.charCodeAt(end);
    if (c < 48 || c > 57) break;
    end++;
  }
  return end > 2 ? stored.slice(2, end) : null;
}

/**
 * "nextRunTime:dueAt", then ":runCount" when there were runs (maxRuns counts them; the count is
 * schedule state, moved by commits, so it lives here and not in the definition); "" when finished
 * without a count.
 */
export function encodeNext(job: Pick<Job, 'nextRunTime' | 'dueAt' | 'runCount'>): string {
  const count = job.runCount ? `:${job.runCount}` : '';
  return job.nextRunTime === null ? count && `:${count}` : `${job.nextRunTime}:${job.dueAt ?? ''}${count}`;
}

/** The due score, "" when the job has nothing due. */
export function encodeDueAt(job: Pick<Job, 'nextRunTime' | 'dueAt'>): string {
  return job.nextRunTime === null || job.dueAt === null ? '' : String(job.dueAt);
}

/** `{"pausedAt":…,"pauseReason":…,"pausedBy":…}`; "" when all are null (nothing is stored then). */
export function encodePauseInfo(job: Pick<Job, 'pausedAt' | 'pauseReason' | 'pausedBy'>): string {
  const pausedAt = job.pausedAt ?? null;
  const pauseReason = job.pauseReason ?? null;
  const pausedBy = job.pausedBy ?? null;
  return pausedAt === null && pauseReason === null && pausedBy === null
    ? ''
    : JSON.stringify({ pausedAt, pauseReason, pausedBy });
}

/**
 * The stored strings back into a job. Throws when the definition or pause info is not JSON; does
 * not check the shape (see checkDecoded), so the hot read path pays only for the parse. `version`
 * is the ver entry, read only for a definition without its version in front.
 */
export function decodeJob(
  json: string,
  next: string | null,
  version: string | null,
  paused: boolean,
  pauseInfo: string | null = null,
): Job {
  // Fields are set on the parsed object rather than spread into a new one: V8 copies a JSON.parse
  // result through its slow path, which made a spread 7 times the cost of the parse itself.
  const job = parseDefinition(json) as unknown as Job;
  job.paused = paused;
  job.pausedAt = null;
  job.pauseReason = null;
  if (pauseInfo) {
    const info = JSON.parse(pauseInfo) as Partial<Pick<Job, 'pausedAt' | 'pauseReason' | 'pausedBy'>> | null;
    job.pausedAt = info?.pausedAt ?? null;
    job.pauseReason = info?.pauseReason ?? null;
    if (info?.pausedBy) job.pausedBy = info.pausedBy;
  }
  job.nextRunTime = null;
  job.dueAt = null;
  if (next) {
    const [nominal = '', due = '', count = ''] = next.split(':');
    job.nextRunTime = nominal === '' ? null : Number(nominal);
    job.dueAt = nominal === '' || due === '' ? null : Number(due);
    if (count !== '') job.runCount = Number(count);
  }
  job.version = Number(storedVersion(json) ?? version ?? 0);
  // Definitions stored before the coalesce policy kept APScheduler 3's boolean.
  const coalesce = job.coalesce as Job['coalesce'] | boolean;
  if (typeof coalesce === 'boolean') job.coalesce = coalesce ? 'latest' : 'all';
  return job;
}

/**
 * Why a decoded job cannot be used (a missing or mistyped field, a malformed trigger, a schedule
 * that is not a number), or null when it is well formed. Checked on claimed jobs only: a job that
 * fails it is handed out as poisoned instead of being planned.
 */
export function checkDecoded(job: unknown, id: string): string | null {
  if (!isObject(job)) return 'the definition is not an object';
  if (job.id !== id) return `its id is ${JSON.stringify(job.id)}, not "${id}"`;
  const problems: string[] = [];
  const need = (field: string, ok: boolean) => {
    if (!ok) problems.push(field);
  };
  need('name', typeof job.name === 'string');
  need('task', typeof job.task === 'string');
  need('args', job.args !== undefined);
  need('paused', typeof job.paused === 'boolean');
  need('pausedAt', isNullableNumber(job.pausedAt));
  need('pauseReason', job.pauseReason === null || typeof job.pauseReason === 'string');
  need('nextRunTime', isNullableNumber(job.nextRunTime));
  need('dueAt', isNullableNumber(job.dueAt));
  need('coalesce', job.coalesce === 'earliest' || job.coalesce === 'latest' || job.coalesce === 'all');
  need('maxRuns', job.maxRuns === undefined || isNullableNumber(job.maxRuns));
  need('exclusions', job.exclusions === undefined || Array.isArray(job.exclusions));
  need(
    'pauseAfterFailures',
    job.pauseAfterFailures === undefined || isNullableNumber(job.pauseAfterFailures),
  );
  need('runCount', job.runCount === undefined || isNumber(job.runCount));
  // Absent on definitions stored before it existed (read as skip).
  need('overlap', job.overlap === undefined || OVERLAP_POLICIES.includes(job.overlap as OverlapPolicy));
  need('maxInstances', Number.isInteger(job.maxInstances) && (job.maxInstances as number) >= 1);
  need('misfireGraceTimeMs', isNullableNumber(job.misfireGraceTimeMs));
  need('timeoutMs', isNullableNumber(job.timeoutMs));
  // Absent on definitions stored before it existed.
  need(
    'expectSuccessWithinMs',
    job.expectSuccessWithinMs === undefined || isNullableNumber(job.expectSuccessWithinMs),
  );
  need('createdAt', isNumber(job.createdAt));
  need('updatedAt', isNumber(job.updatedAt));
  need('version', Number.isInteger(job.version));
  const retry = job.retry;
  need(
    'retry',
    isObject(retry) &&
      isNumber(retry.attempts) &&
      isNumber(retry.backoffMs) &&
      isNumber(retry.factor) &&
      isNumber(retry.maxBackoffMs) &&
      typeof retry.jitter === 'boolean',
  );
  const trigger = checkTrigger(job.trigger);
  if (trigger) problems.push(trigger);
  return problems.length === 0 ? null : `malformed field(s): ${problems.join(', ')}`;
}

function checkTrigger(trigger: unknown): string | null {
  if (!isObject(trigger)) return 'trigger';
  const window =
    isNullableNumber(trigger.startDate) && isNullableNumber(trigger.endDate) && isNumber(trigger.jitterMs);
  switch (trigger.kind) {
    case 'cron':
      return window &&
        typeof trigger.expression === 'string' &&
        typeof trigger.timezone === 'string' &&
        isDstPolicy(trigger.dst)
        ? null
        : 'trigger (cron)';
    case 'interval':
      return window &&
        ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'anchor'].every((field) =>
          isNumber(trigger[field]),
        )
        ? null
        : 'trigger (interval)';
    case 'date':
      return window && isNumber(trigger.runDate) ? null : 'trigger (date)';
    case 'any':
      if (!window || !Array.isArray(trigger.triggers) || trigger.triggers.length === 0)
        return 'trigger (any)';
      for (const member of trigger.triggers as unknown[]) {
        if (isObject(member) && member.kind === 'any') return 'trigger (any: nested)';
        const problem = checkTrigger(member);
        if (problem) return `trigger (any: ${problem})`;
      }
      return null;
    default:
      return `trigger (unknown kind ${JSON.stringify(trigger.kind)})`;
  }
}

/** Absent on triggers stored before it existed, null for cronie's rule. */
function isDstPolicy(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return (
    isObject(value) &&
    (value.gap === 'shift' || value.gap === 'skip') &&
    (value.repeat === 'first' || value.repeat === 'last' || value.repeat === 'both')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNullableNumber(value: unknown): boolean {
  return value === null || isNumber(value);
}
