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
  const definition = JSON.parse(json) as Omit<Job, 'nextRunTime' | 'dueAt' | 'paused' | 'version'>;
  let nextRunTime: number | null = null;
  let dueAt: number | null = null;
  if (next) {
    const [nominal = '', due = ''] = next.split(':');
    nextRunTime = Number(nominal);
    dueAt = due === '' ? null : Number(due);
  }
  return { ...definition, paused, nextRunTime, dueAt, version: Number(version ?? 0) };
}
