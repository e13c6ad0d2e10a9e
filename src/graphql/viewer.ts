/**
 * `viewer`: who is asking, as far as the service can tell. The monitor page reads it to show only
 * the actions the caller's scope allows (the API refuses the others anyway). Tokens have no names
 * (KAIROS_TOKENS is `scope:token` pairs), so the scope and whether a token was sent are all there is.
 */
import { requireScope } from './auth.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';

const ScopeEnum = builder.enumType('Scope', {
  description: 'Each scope includes the ones before it: READ < OPERATE < ADMIN.',
  values: {
    READ: { value: 'read', description: 'Queries and subscriptions.' },
    OPERATE: { value: 'operate', description: 'Also pauseJob, resumeJob, runJobNow.' },
    ADMIN: { value: 'admin', description: 'Also addJob, updateJob, rescheduleJob, removeJob.' },
  } as const,
});

const ViewerRef = builder.objectRef<GraphQLContext['auth']>('Viewer').implement({
  fields: (t) => ({
    scope: t.field({
      type: ScopeEnum,
      // requireScope in the root field guarantees a scope here.
      resolve: (auth) => auth.scope ?? 'read',
    }),
    anonymous: t.boolean({
      description: 'True when no token was sent: the service allows anonymous access (no KAIROS_TOKENS).',
      resolve: (auth) => auth.via === 'anonymous',
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'The caller’s scope. UNAUTHENTICATED without a valid token when tokens are configured.',
    resolve: (_root, _args, ctx) => {
      requireScope(ctx, 'read', 'viewer');
      return ctx.auth;
    },
  }),
);
