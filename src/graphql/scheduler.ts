/** `scheduler`: which replica answered, whether it is firing, and the stores in use. */
import { builder } from './builder.ts';
import type { GraphQLContext, StoreNames } from './context.ts';

export const StoresRef = builder.objectRef<StoreNames>('SchedulerStores').implement({
  fields: (t) => ({
    jobStore: t.exposeString('jobStore', { description: 'e.g. memory, redis.' }),
    executionLog: t.exposeString('executionLog', { description: 'e.g. memory, pglite, postgres.' }),
    eventBus: t.exposeString('eventBus', { description: 'e.g. memory, redis.' }),
  }),
});

const SchedulerRef = builder.objectRef<GraphQLContext>('Scheduler').implement({
  fields: (t) => ({
    instance: t.string({
      description: 'This replica’s name, recorded on every execution it decides.',
      resolve: (ctx) => ctx.service.instance,
    }),
    running: t.boolean({
      description: 'Whether this replica is firing jobs (false while starting or stopping).',
      resolve: (ctx) => ctx.service.running,
    }),
    timezone: t.string({
      description: 'Zone of cron triggers that name none.',
      resolve: (ctx) => ctx.service.defaultTimezone,
    }),
    version: t.string({ resolve: (ctx) => ctx.info.version }),
    stores: t.field({ type: StoresRef, resolve: (ctx) => ctx.info.stores }),
  }),
});

builder.queryField('scheduler', (t) =>
  t.field({
    type: SchedulerRef,
    resolve: (_root, _args, ctx) => ctx,
  }),
);
