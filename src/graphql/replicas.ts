/**
 * `replicas`: the live members of the cluster, from the job store's heartbeats (read scope, as
 * the root type's). Every replica shares the job store, so each one's stores are the ones this
 * process uses: a replica on other stores would be in another cluster and not listed here.
 */
import type { ReplicaStatus } from '../core/ports.ts';
import { builder } from './builder.ts';
import { StoresRef } from './scheduler.ts';

const ReplicaRef = builder.objectRef<ReplicaStatus>('Replica').implement({
  description: 'A process heart-beating into the job store.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Unique per life of a process: a restart is a new replica.' }),
    instance: t.exposeString('instance', { description: 'Its configured name (executions carry it).' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'When its heartbeat runs out (store clock): past it the replica is declared dead.',
    }),
    stores: t.field({ type: StoresRef, resolve: (_replica, _args, ctx) => ctx.info.stores }),
  }),
});

builder.queryField('replicas', (t) =>
  t.field({
    type: [ReplicaRef],
    description: 'The live replicas, oldest first.',
    resolve: (_root, _args, ctx) => ctx.service.replicas(),
  }),
);
