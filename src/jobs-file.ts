/**
 * Jobs declared in a JSON file (KAIROS_JOBS_FILE): either an array of jobs or `{ "jobs": [...] }`,
 * each shaped like the addJob input. They are declared at every start with replace-existing
 * semantics, like APScheduler's add_job(..., replace_existing=True) at start: a new id is added, a
 * changed definition replaces the stored one, an unchanged one keeps its schedule. Jobs missing
 * from the file are left alone.
 *
 * The whole file is checked before anything is stored, so a bad file changes nothing, and every
 * problem is reported at once with its path (`jobs[2].trigger.cron.expression`).
 */
import { ValidationError } from './core/errors.ts';
import type { AddJobInput, Job } from './core/job.ts';
import { buildJob } from './core/job-factory.ts';
import type { JobService } from './core/job-service.ts';
import type { TaskResolver } from './core/task.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const FIELDS = [
  'id',
  'name',
  'task',
  'args',
  'trigger',
  'paused',
  'coalesce',
  'overlap',
  'maxRuns',
  'pauseAfterFailures',
  'exclusions',
  'maxInstances',
  'misfireGraceTimeMs',
  'timeoutMs',
  'retry',
  'expectSuccessWithinMs',
];

export class JobsFileError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`jobs file ${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'JobsFileError';
    this.problems = problems;
  }
}

export interface DeclaredJob {
  /** Position in the file, for messages. */
  index: number;
  input: AddJobInput & { id: string };
}

export interface ParsedJobsFile {
  jobs: DeclaredJob[];
  /** Jobs left out, with why (a one-shot date job whose date has passed). */
  skipped: { index: number; id: string; reason: string }[];
}

export interface CheckContext {
  tasks: TaskResolver;
  defaultTimezone: string;
  now: number;
}

/**
 * Parse and check the file's text. Throws JobsFileError listing every problem. A `date` job whose
 * run date has passed is skipped (and reported) rather than refused: the file is declared at every start, and a
 * one-shot job naturally goes stale once it ran.
 */
export function parseJobsFile(text: string, source: string, ctx: CheckContext): ParsedJobsFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JobsFileError(source, [`is not valid JSON: ${(error as Error).message}`]);
  }
  let entries: unknown[];
  if (Array.isArray(data)) {
    entries = data;
  } else if (isObject(data) && Array.isArray(data.jobs)) {
    const extra = Object.keys(data).filter((key) => key !== 'jobs' && key !== '$schema');
    if (extra.length > 0) {
      throw new JobsFileError(source, [
        `unknown top-level field ${extra.map((k) => `"${k}"`).join(', ')} (expected "jobs")`,
      ]);
    }
    entries = data.jobs;
  } else {
    throw new JobsFileError(source, ['must be an array of jobs or an object { "jobs": [...] }']);
  }

  const problems: string[] = [];
  const jobs: DeclaredJob[] = [];
  const skipped: ParsedJobsFile['skipped'] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const path = `jobs[${index}]`;
    if (!isObject(entry)) {
      problems.push(`${path}: must be an object`);
      return;
    }
    const unknown = Object.keys(entry).filter((key) => !FIELDS.includes(key));
    if (unknown.length > 0) {
      for (const key of unknown)
        problems.push(`${path}.${key}: unknown field (fields: ${FIELDS.join(', ')})`);
      return;
    }
    // Without an id a job would be added again at every start.
    if (entry.id === undefined || entry.id === null) {
      problems.push(
        `${path}.id: is required in a jobs file, so restarts replace the job instead of adding it again`,
      );
      return;
    }
    const input = entry as unknown as AddJobInput & { id: string };
    const passed = passedRunDate(input, ctx.now);
    // A passed date is checked with a future one in its place, so its other fields are still checked.
    const checked = passed === null ? input : { ...input, trigger: { date: { runDate: ctx.now + DAY_MS } } };
    try {
      buildJob(checked, { ...ctx, newId: () => input.id });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(`${path}.${error.field}: ${error.message.slice(error.field.length + 2)}`);
      return;
    }
    if (passed !== null) {
      skipped.push({
        index,
        id: input.id,
        reason: `trigger.date.runDate ${new Date(passed).toISOString()} has passed`,
      });
      return;
    }
    const first = seen.get(input.id);
    if (first !== undefined) {
      problems.push(`${path}.id: "${input.id}" is already used by jobs[${first}]`);
      return;
    }
    seen.set(input.id, index);
    jobs.push({ index, input });
  });
  if (problems.length > 0) throw new JobsFileError(source, problems);
  return { jobs, skipped };
}

export interface DeclareResult {
  declared: Job[];
  skipped: ParsedJobsFile['skipped'];
}

/** Add or replace each declared job. A store error stops here; jobs declared before it stay. */
export async function declareJobs(
  service: JobService,
  parsed: ParsedJobsFile,
  source: string,
): Promise<DeclareResult> {
  const declared: Job[] = [];
  for (const { index, input } of parsed.jobs) {
    try {
      declared.push(await service.addJob(input, { replaceExisting: true }));
    } catch (error) {
      // Checked above, so only a race (time passed, a task vanished) or a store failure gets here.
      if (error instanceof ValidationError) {
        throw new JobsFileError(source, [`jobs[${index}].${error.message}`]);
      }
      throw error;
    }
  }
  return { declared, skipped: parsed.skipped };
}

/** The run date of a date trigger when it is at or before now; null otherwise (or when unparsable). */
function passedRunDate(input: AddJobInput, now: number): number | null {
  if (!isObject(input.trigger) || !isObject(input.trigger.date)) return null;
  const runDate: unknown = input.trigger.date.runDate;
  if (typeof runDate !== 'string' && typeof runDate !== 'number') return null;
  const at = new Date(runDate).getTime();
  return Number.isFinite(at) && at <= now ? at : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
