/**
 * What every resolver gets: the job service, who is asking and the event hub. Built once per HTTP
 * request, or once per operation over graphql-ws. (The per-tick batchers are the dataloader
 * plugin's, kept per context by the plugin: `t.loadable` in job.ts.)
 */
import type { JobService } from '../core/job-service.ts';
import type { Auth } from './auth.ts';
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
}
