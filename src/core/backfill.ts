/**
 * Backfill: run a job's nominal fires of a window (past or future) now, at most `maxPerSecond` a
 * second. Each fire becomes a stored `pending` row (trigger kind `backfill`) whose dueAt is spaced by
 * the rate, so any replica's claimPending runs it (ExtraRuns), it survives restarts, and the runner's
 * timers keep the pace. The fire key (jobId, scheduledFor, attempt) stays the gate: a fire that has
 * records already is left out, or re-run (`rerun`) under the next attempt number after its highest,
 * so the earlier records stay and nothing is stored twice.
 *
 * `overlap` is stored with each row (Execution.overlap), so the replica that claims it applies it
 * when the job's maxInstances are all busy at the row's due time (scheduler/overlap.ts). ALLOW_ALL
 * (Temporal's, which ignores the limit) is not offered: maxInstances bounds every run of the job,
 * and a running row is kept alive by its slot (the sweep abandons a running row no slot holds).
 */
import { ValidationError } from './errors.ts';
import type { Execution } from './execution.ts';
import { uuidv7 } from './ids.ts';
import type { Job, OverlapPolicy } from './job.ts';
import { requireOverlap } from './job-policies.ts';
import type { ExecutionLog } from './ports.ts';
import { upcomingFireTimes } from './triggers/next-fire.ts';

export const MAX_BACKFILL_FIRES = 10_000;
export const MAX_BACKFILL_PER_SECOND = 1_000;
export const DEFAULT_BACKFILL_PER_SECOND = 10;

export interface BackfillRequest {
  /** The window, both ends included (epoch ms). */
  from: number;
  to: number;
  dryRun: boolean;
  /** Run again the fires that have a terminal record already (under a later attempt). */
  rerun: boolean;
  maxPerSecond: number;
  /** What a fire does when all maxInstances are busy at its due time; default buffer_all (it waits). */
  overlap?: OverlapPolicy;
}

export interface BackfillFire {
  scheduledFor: number;
  /** The attempt the run is stored under: 1, or the next after the fire's highest recorded one. */
  attempt: number;
  /** When it starts (now + its place in the queue at the rate); null when it is left out. */
  dueAt: number | null;
  /** The fire has a terminal record already. */
  recorded: boolean;
  /** Part of this backfill (false: left out, recorded already and no rerun, or stored meanwhile). */
  scheduled: boolean;
}

export interface BackfillResult {
  dryRun: boolean;
  overlap: OverlapPolicy;
  fires: BackfillFire[];
  /** The pending rows stored (none for a dry run). */
  rows: Execution[];
}

/** Throws ValidationError on a bad request; returns its overlap policy. */
function checkRequest(request: BackfillRequest): OverlapPolicy {
  const { from, to, maxPerSecond } = request;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new ValidationError('from', 'must be a time');
  if (to < from) throw new ValidationError('to', 'must not be before from');
  if (!Number.isInteger(maxPerSecond) || maxPerSecond < 1 || maxPerSecond > MAX_BACKFILL_PER_SECOND)
    throw new ValidationError('maxPerSecond', `must be an integer between 1 and ${MAX_BACKFILL_PER_SECOND}`);
  return request.overlap === undefined ? 'buffer_all' : requireOverlap(request.overlap);
}

/** The job's nominal fires in [from, to]; ValidationError past MAX_BACKFILL_FIRES. */
export function windowFires(job: Job, from: number, to: number): number[] {
  const fires = upcomingFireTimes(job.trigger, from - 1, MAX_BACKFILL_FIRES + 1).filter((t) => t <= to);
  if (fires.length > MAX_BACKFILL_FIRES)
    throw new ValidationError('to', `the window holds more than ${MAX_BACKFILL_FIRES} fires; split it`);
  return fires;
}

/** Per fire time: its highest attempt on record, and whether a terminal record covers it. */
export interface FireRecords {
  maxAttempt: Map<number, number>;
  recorded: (scheduledFor: number) => boolean;
}

export function fireRecords(rows: Execution[]): FireRecords {
  const maxAttempt = new Map<number, number>();
  const exact = new Set<number>();
  const ranges: [number, number][] = [];
  for (const row of rows) {
    maxAttempt.set(row.scheduledFor, Math.max(row.attempt, maxAttempt.get(row.scheduledFor) ?? 0));
    if (row.status === 'pending' || row.status === 'running') continue;
    if (row.coversUntil === null) exact.add(row.scheduledFor);
    else ranges.push([row.scheduledFor, row.coversUntil]);
  }
  // A covering record (a coalesced backlog) accounts for every fire of its range.
  const recorded = (t: number) => exact.has(t) || ranges.some(([first, last]) => first <= t && t <= last);
  return { maxAttempt, recorded };
}

/** Pure: which fires run, under which attempt, when. */
export function planBackfill(
  fires: number[],
  records: FireRecords,
  rerun: boolean,
  now: number,
  maxPerSecond: number,
) {
  let position = 0;
  return fires.map((scheduledFor): BackfillFire => {
    const recorded = records.recorded(scheduledFor);
    const previous = records.maxAttempt.get(scheduledFor) ?? 0;
    // A fire with a row that is not terminal (pending, running) is in flight: never run it twice.
    const inFlight = previous > 0 && !recorded;
    const scheduled = !inFlight && (!recorded || rerun);
    const dueAt = scheduled ? now + Math.floor((position++ * 1000) / maxPerSecond) : null;
    return { scheduledFor, attempt: previous + 1, dueAt, recorded, scheduled };
  });
}

/** How many missed records before the window are looked at for one that reaches into it. */
const COVERING_LOOKBACK = 10;

async function rowsInWindow(
  log: ExecutionLog,
  jobId: string,
  from: number,
  to: number,
): Promise<Execution[]> {
  // A missed record covering a range of fires is stored at the range's first fire, so one that
  // starts before the window and reaches into it accounts for the window's first fires too. The
  // fires it covers have no other rows, so it is among the newest missed rows before `from`.
  const before = await log.list({ jobId, until: from, status: ['missed'], first: COVERING_LOOKBACK });
  const rows: Execution[] = before.items.filter((row) => row.coversUntil !== null && row.coversUntil >= from);
  let after: string | null = null;
  for (;;) {
    const page = await log.list({ jobId, since: from, until: to + 1, first: 500, after });
    rows.push(...page.items);
    if (!page.hasNextPage) return rows;
    after = page.endCursor;
  }
}

export interface BackfillContext {
  log: ExecutionLog;
  now: number;
  instance: string;
}

/** Plans the backfill and, unless it is a dry run, stores its pending rows. */
export async function backfill(
  job: Job,
  request: BackfillRequest,
  ctx: BackfillContext,
): Promise<BackfillResult> {
  const overlap = checkRequest(request);
  const fires = windowFires(job, request.from, request.to);
  const existing = await rowsInWindow(ctx.log, job.id, request.from, request.to);
  const plan = planBackfill(fires, fireRecords(existing), request.rerun, ctx.now, request.maxPerSecond);
  if (request.dryRun) return { dryRun: true, overlap, fires: plan, rows: [] };
  const rows = plan.filter((fire) => fire.scheduled).map((fire) => pendingRow(job, fire, overlap, ctx));
  const stored = rows.length === 0 ? new Set<string>() : await ctx.log.insert(rows);
  // A fire recorded between the read and the insert (its scheduled run, another backfill) lost the key.
  const kept = rows.filter((row) => stored.has(row.id));
  const keys = new Set(kept.map((row) => row.scheduledFor));
  const final = plan.map((fire) =>
    fire.scheduled && !keys.has(fire.scheduledFor) ? { ...fire, dueAt: null, scheduled: false } : fire,
  );
  return { dryRun: false, overlap, fires: final, rows: kept };
}

function pendingRow(job: Job, fire: BackfillFire, overlap: OverlapPolicy, ctx: BackfillContext): Execution {
  return {
    id: uuidv7(ctx.now),
    jobId: job.id,
    jobName: job.name,
    task: job.task,
    status: 'pending',
    triggerKind: 'backfill',
    scheduledFor: fire.scheduledFor,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempt: fire.attempt,
    instance: ctx.instance,
    owner: null,
    dueAt: fire.dueAt,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
    overlap,
  };
}
