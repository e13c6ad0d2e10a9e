import type { OverlapPolicy } from './job.ts';
import type { JsonValue } from './json.ts';

export type ExecutionStatus =
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'timed_out'
  | 'missed'
  | 'skipped'
  | 'abandoned'
  /** Aborted by a newer fire of its job (overlap: cancel_other). */
  | 'cancelled';
/** Terminal statuses: a row in one of them never changes again. */
export type FinalStatus = Exclude<ExecutionStatus, 'pending' | 'running'>;
/** `backfill`: a fire of a past (or future) window run on request (backfillJob). */
export type TriggerKind = 'scheduled' | 'manual' | 'retry' | 'backfill';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'pending',
  'running',
  'success',
  'failed',
  'timed_out',
  'missed',
  'skipped',
  'abandoned',
  'cancelled',
];

export interface ExecutionError {
  message: string;
  stack: string | null;
}

/**
 * One attempt of one fire, or fires that did not run (missed, skipped). Times are epoch ms.
 *
 * The accounting invariant (docs/design.md): every nominal fire of a job ends in exactly one
 * terminal record. A record usually covers one fire; a record of fires that did not run (a
 * coalesced backlog, a backlog past the per-claim cap) may cover a range: `scheduledFor` is the
 * first fire covered, `coversUntil` the last, `coveredFires` how many.
 *
 * `pending`: a retry attempt waiting for `dueAt` (stored, so it survives stop, crash and replica
 * death). `running`: claimed by a replica; `startedAt` is null until the handler really started
 * (it is written with the result).
 */
export interface Execution {
  id: string;
  jobId: string;
  jobName: string;
  task: string;
  status: ExecutionStatus;
  triggerKind: TriggerKind;
  /** The nominal fire time; with jobId and attempt, the unique key of a fire. */
  scheduledFor: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  /** 1-based. */
  attempt: number;
  /** The replica that decided this row (for a pending retry: the one that scheduled it). */
  instance: string;
  /**
   * The replica life (ReplicaLife.id) that holds this row while it is running, so the cluster can
   * settle it when that life ends; null when none does (older rows, pending rows, embedded use).
   */
  owner: string | null;
  /** When this attempt is due to start: a retry's backoff end; the fire's due time otherwise. */
  dueAt: number | null;
  /** The last nominal fire this record covers; null when it covers only `scheduledFor`. */
  coversUntil: number | null;
  /** How many nominal fires this record accounts for (1 unless it covers a range). */
  coveredFires: number;
  error: ExecutionError | null;
  result: JsonValue | null;
  /**
   * A backfill row's overlap policy (backfillJob's `overlap`), stored with it so the replica that
   * claims it honours it; absent on other rows (a scheduled fire follows its job's, a retry waits, a
   * manual run is SKIPPED when all slots are busy) and on backfill rows stored before it existed
   * (they wait: buffer_all).
   */
  overlap?: OverlapPolicy;
}

export const MAX_ERROR_MESSAGE_BYTES = 8 * 1024;
export const MAX_ERROR_STACK_BYTES = 32 * 1024;
export const MAX_RESULT_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most texts need no encoding to be known short.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const marker = '…[truncated]';
  const budget = maxBytes - encoder.encode(marker).length;
  // decoder drops a partial trailing character as U+FFFD; strip it so we never emit half a code point.
  const head = decoder.decode(bytes.subarray(0, budget)).replace(/\uFFFD$/, '');
  return head + marker;
}

export function boundError(error: ExecutionError): ExecutionError {
  return {
    message: truncateUtf8(error.message, MAX_ERROR_MESSAGE_BYTES),
    stack: error.stack === null ? null : truncateUtf8(error.stack, MAX_ERROR_STACK_BYTES),
  };
}

/** Results are for a glance in the history, not for payloads: oversized ones are replaced by a note. */
export function boundResult(result: JsonValue | null | undefined): JsonValue | null {
  if (result === undefined || result === null) return null;
  const text = JSON.stringify(result);
  if (text === undefined) return null;
  if (text.length * 3 <= MAX_RESULT_BYTES) return result;
  const bytes = encoder.encode(text).length;
  return bytes <= MAX_RESULT_BYTES ? result : { truncated: true, bytes };
}

export function toExecutionError(thrown: unknown): ExecutionError {
  if (thrown instanceof Error)
    return boundError({ message: thrown.message || thrown.name, stack: thrown.stack ?? null });
  return boundError({ message: typeof thrown === 'string' ? thrown : safeStringify(thrown), stack: null });
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * How late an attempt started: from its nominal time (a retry's: the end of its backoff, dueAt) to
 * startedAt. Jitter counts as lateness: it is delay the job's owner chose, but delay all the same.
 * null when it never started.
 */
export function latenessMs(execution: Execution): number | null {
  if (execution.startedAt === null) return null;
  const nominal =
    execution.triggerKind === 'retry' ? (execution.dueAt ?? execution.scheduledFor) : execution.scheduledFor;
  return Math.max(0, execution.startedAt - nominal);
}
