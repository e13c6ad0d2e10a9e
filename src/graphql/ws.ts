/**
 * graphql-ws on top of the Yoga app: every operation runs through `yoga.getEnveloped`, so
 * WebSocket and HTTP share the same plugins (limits, error masking) and the same context and auth.
 * Runtime-neutral: node.ts passes these options to `useServer` from graphql-ws/use/ws, bun.ts to
 * `makeHandler` from graphql-ws/use/bun, and so on.
 *
 * The token comes from connectionParams.authorization ("Bearer <token>" or the bare token), else
 * from the upgrade request's Authorization header (browsers cannot set it; other clients can).
 */
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { KairosYoga } from './yoga.ts';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => ReturnType<NonNullable<ServerOptions['execute']>>;
  subscribe: (args: ExecutionArgs) => ReturnType<NonNullable<ServerOptions['subscribe']>>;
}

function headerOf(request: unknown): string | null {
  if (typeof request !== 'object' || request === null || !('headers' in request)) return null;
  const headers = (request as { headers: unknown }).headers;
  if (headers instanceof Headers) return headers.get('authorization');
  if (typeof headers === 'object' && headers !== null) {
    const value = (headers as Record<string, unknown>).authorization;
    return typeof value === 'string' ? value : null;
  }
  return null;
}

/** The credential of a graphql-ws connection, or null. */
export function wsCredential(ctx: Context<Record<string, unknown> | undefined, unknown>): string | null {
  const params = ctx.connectionParams;
  const fromParams = params?.authorization ?? params?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  const extra = ctx.extra as { request?: unknown } | undefined;
  return headerOf(extra?.request);
}

export function graphqlWsServerOptions<E = unknown>(
  yoga: KairosYoga,
): ServerOptions<Record<string, unknown> | undefined, E> {
  return {
    execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
    subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
    onSubscribe: async (ctx, _id, payload) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        wsCredential: wsCredential(ctx as Context<Record<string, unknown> | undefined, unknown>),
        params: payload,
      });
      let document: ReturnType<typeof parse>;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [error as GraphQLError];
      }
      let errors: readonly GraphQLError[];
      try {
        errors = validate(schema, document);
      } catch (error) {
        return [error as GraphQLError]; // graphql-armor throws its limit errors
      }
      if (errors.length > 0) return errors;
      const args: ExecutionArgs = {
        schema,
        operationName: payload.operationName,
        document,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe } satisfies EnvelopedRoot,
      };
      return args;
    },
  };
}
