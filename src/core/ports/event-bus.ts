/** The EventBus port: execution and job events to every subscriber of every replica. */
import type { Execution } from '../execution.ts';
import type { Job } from '../job.ts';

export type ExecutionEventType =
  | 'scheduled'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'missed'
  | 'skipped'
  | 'abandoned'
  | 'cancelled';
export type JobEventType =
  | 'added'
  | 'updated'
  | 'paused'
  | 'resumed'
  | 'rescheduled'
  | 'removed'
  | 'finished'
  | 'overdue';

export interface ExecutionEvent {
  stream: 'execution';
  type: ExecutionEventType;
  at: number;
  execution: Execution;
}

export interface JobEvent {
  stream: 'job';
  type: JobEventType;
  at: number;
  jobId: string;
  /** The job after the change; for `removed`, the job as it was. */
  job: Job;
}

export type BusEvent = ExecutionEvent | JobEvent;
/** `sequence` increases by one per event within a stream, across all replicas sharing the bus. */
export type SequencedEvent = BusEvent & { sequence: number };

/**
 * Fan-out of execution and job events to every subscriber of every replica.
 * publish never throws and never waits for subscribers; a failing listener does not affect others.
 */
export interface EventBus {
  publish(event: BusEvent): void;
  subscribe(listener: (event: SequencedEvent) => void): () => void;
  close(): Promise<void>;
}
