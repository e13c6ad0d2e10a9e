/**
 * What every resolver gets: the job service, who is asking, the event hub and the per-tick
 * batchers. Built once per HTTP request, or once per operation over graphql-ws.
 */
import type { Execution } from '../core/execution.ts';
import type { Job } from '../core/job.ts';
import type { JobService } from '../core/job-service.ts';
import type { Auth } from './auth.ts';
import type { Load } from './batch.ts';
import { createBatch } from './batch.ts';
import type { EventHub } from './event-hub.ts';
import type { SubscriptionTokens } from './subscription-token.ts';

/** Names of the adapters in use, shown by `scheduler { stores }`. */
export interface StoreNames {
  jobStore: string;
  executionLog: string;
  eventBus: string;
}

export interface ServiceInfo {
  version: string;
  stores: StoreNames;
}

export interface GraphQLContext {
  service: JobService;
  auth: Auth;
  hub: EventHub;
  info: ServiceInfo;
  /** Mints and checks the tokens an EventSource subscribes with (subscription-token.ts). */
  subscriptionTokens: SubscriptionTokens;
  /** Newest execution of a job: one ExecutionLog.latestByJob call for all jobs of a page. */
  lastExecution: Load<string, Execution | null>;
  /** A job by id (null when removed), each id read once per tick. */
  job: Load<string, Job | null>;
}

export function createContext(
  parts: Pick<GraphQLContext, 'service' | 'auth' | 'hub' | 'info' | 'subscriptionTokens'>,
): GraphQLContext {
  const { service } = parts;
  return {
    ...parts,
    lastExecution: createBatch<string, Execution | null>(
      (ids) => service.latestExecutions(ids) as Promise<Map<string, Execution | null>>,
      null,
    ),
    job: createBatch<string, Job | null>(async (ids) => {
      const jobs = await Promise.all(ids.map((id) => service.findJob(id)));
      return new Map(ids.map((id, i) => [id, jobs[i] ?? null]));
    }, null),
  };
}
