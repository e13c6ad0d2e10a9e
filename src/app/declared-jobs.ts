/** KAIROS_JOBS_FILE at start: read through the platform, checked whole, then declared. */
import type { JobService } from '../core/job-service.ts';
import type { TaskResolver } from '../core/task.ts';
import { declareJobs, parseJobsFile } from '../jobs-file.ts';
import type { JsonLogger } from '../logger.ts';
import type { Platform } from './platform.ts';

export interface DeclareOptions {
  file: string;
  platform: Platform | undefined;
  service: JobService;
  tasks: TaskResolver;
  defaultTimezone: string;
  now: number;
  logger: JsonLogger;
}

export async function declareJobsFile(options: DeclareOptions): Promise<void> {
  const { file, platform, logger } = options;
  if (!platform) throw new Error('KAIROS_JOBS_FILE is set but this runtime gave the app no file access');
  const text = await platform.readTextFile(file);
  const parsed = parseJobsFile(text, file, {
    tasks: options.tasks,
    defaultTimezone: options.defaultTimezone,
    now: options.now,
  });
  const result = await declareJobs(options.service.as('jobs file'), parsed, file);
  for (const skip of result.skipped) {
    logger.warn('declared job skipped', { file, index: skip.index, id: skip.id, reason: skip.reason });
  }
  logger.info('jobs declared', { file, count: result.declared.length });
}
