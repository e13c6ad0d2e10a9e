import type { JsonValue } from './json.ts';

/** Structured logger; fields are JSON-serializable. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface TaskContext {
  /** Aborted when the execution times out or the scheduler stops past its deadline. */
  signal: AbortSignal;
  logger: Logger;
  executionId: string;
  jobId: string;
  /** Nominal fire time, epoch ms. */
  scheduledFor: number;
  /** 1-based attempt number. */
  attempt: number;
}

/** Code that can run. A thrown error (or rejected promise) fails the execution; the return value is its result. */
export type TaskHandler = (
  args: JsonValue,
  context: TaskContext,
) => Promise<JsonValue | undefined | void> | JsonValue | undefined | void;

export interface TaskDefinition {
  name: string;
  description: string;
  handler: TaskHandler;
  /** Checks args when a job is added or updated; throws ValidationError (field `args...`) on bad args. */
  validateArgs?: (args: JsonValue) => void;
}

/** Resolves task names for the scheduler and the API. */
export interface TaskResolver {
  get(name: string): TaskDefinition | undefined;
  list(): TaskDefinition[];
}

/**
 * Thrown by a task to fail its execution without further retries, whatever the job's retry policy
 * (BullMQ's UnrecoverableError): for errors a retry cannot fix, such as bad arguments or a 4xx.
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}
