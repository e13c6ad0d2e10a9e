/**
 * Built-in `log` task: writes one structured line through the execution's logger. Handy as a
 * heartbeat and to try a schedule before pointing it at real work.
 *
 * Args are any JSON. An object may carry `message` (the line's msg, default "job log") and `level`
 * (debug | info | warn | error, default info); `fields` is free-form data. The whole args value is
 * written under `args`, so nothing the job carries is lost.
 */
import { ValidationError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import type { TaskContext, TaskDefinition } from '../core/task.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

interface LogArgs {
  message: string;
  level: Level;
}

function parseLogArgs(args: JsonValue): LogArgs {
  const parsed: LogArgs = { message: 'job log', level: 'info' };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return parsed;
  const { message, level, fields } = args;
  if (message !== undefined) {
    if (typeof message !== 'string') throw new ValidationError('args.message', 'must be a string');
    parsed.message = message;
  }
  if (level !== undefined) {
    if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) {
      throw new ValidationError('args.level', `must be one of ${LEVELS.join(', ')}`);
    }
    parsed.level = level as Level;
  }
  if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
    throw new ValidationError('args.fields', 'must be an object');
  }
  return parsed;
}

function runLog(args: JsonValue, context: TaskContext): void {
  const { message, level } = parseLogArgs(args);
  context.logger[level](message, {
    jobId: context.jobId,
    executionId: context.executionId,
    attempt: context.attempt,
    args,
  });
}

export const logTask: TaskDefinition = {
  name: 'log',
  description: 'Writes one structured log line with the job args (message, level, fields).',
  handler: runLog,
  validateArgs: (args) => {
    parseLogArgs(args);
  },
};
