/**
 * How a job is split across keys: the definition as JSON (decoded only here, never in Lua, where
 * cjson would turn [] into {}), and the fields scripts must read kept apart as plain strings.
 */
import type { Job } from '../../core/job.ts';

export function encodeDefinition(job: Job): string {
  const { nextRunTime: _n, dueAt: _d, paused: _p, version: _v, ...definition } = job;
  return JSON.stringify(definition);
}

/** "nextRunTime:dueAt"; "" when finished. */
export function encodeNext(job: Pick<Job, 'nextRunTime' | 'dueAt'>): string {
  return job.nextRunTime === null ? '' : `${job.nextRunTime}:${job.dueAt ?? ''}`;
}

/** The due score, "" when the job has nothing due. */
export function encodeDueAt(job: Pick<Job, 'nextRunTime' | 'dueAt'>): string {
  return job.nextRunTime === null || job.dueAt === null ? '' : String(job.dueAt);
}

export function decodeJob(json: string, next: string | null, version: string | null, paused: boolean): Job {
  // Fields are set on the parsed object rather than spread into a new one: V8 copies a JSON.parse
  // result through its slow path, which made a spread 7 times the cost of the parse itself.
  const job = JSON.parse(json) as Job;
  job.paused = paused;
  job.nextRunTime = null;
  job.dueAt = null;
  if (next) {
    const [nominal = '', due = ''] = next.split(':');
    job.nextRunTime = Number(nominal);
    job.dueAt = due === '' ? null : Number(due);
  }
  job.version = Number(version ?? 0);
  return job;
}
