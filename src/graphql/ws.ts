/**
 * graphql-ws on top of the Yoga app: every operation runs through `yoga.getEnveloped`, so
 * WebSocket and HTTP share the same plugins (limits, error masking) and the same context and auth.
 * Runtime-neutral: node.ts passes these options to `useServer` from graphql-ws/use/ws, bun.ts to
 * `makeHandler` from graphql-ws/use/bun, and so on.
 *
 * The token comes from connectionParams.authorization ("Bearer <token>" or the bare token), else
 * from the upgrade request's Authorization header (browsers cannot set it; other clients can).
 * A connection_init whose credential grants nothing closes the socket at once with 4401 (no token,
 * or one that is not valid), and a socket that sends no connection_init is closed after
 * CONNECTION_INIT_TIMEOUT_MS (4408). Which origins may open a socket is decided before the upgrade
 * (perimeter.ts, in each runtime).
 */
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type Context, type ServerOptions } from 'graphql-ws';
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

/** How long a socket may stay open without sending connection_init. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;

interface Closable {
  close(code: number, reason: string): void;
}

/** Every graphql-ws runtime binding (use/ws, use/bun, use/deno) puts the socket in ctx.extra. */
function socketOf(ctx: Context<Record<string, unknown> | undefined, unknown>): Closable | null {
  const socket = (ctx.extra as { socket?: unknown } | undefined)?.socket;
  return typeof socket === 'object' && socket !== null && 'close' in socket ? (socket as Closable) : null;
}

export function graphqlWsServerOptions<E = unknown>(
  yoga: KairosYoga,
): ServerOptions<Record<string, unknown> | undefined, E> {
  return {
    connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
    onConnect: async (ctx) => {
      const context = ctx as Context<Record<string, unknown> | undefined, unknown>;
      const { scope, via } = await yoga.authenticate(wsCredential(context));
      if (scope !== null) return true;
      // graphql-ws answers `false` with 4403; a missing or wrong token is 4401, which its client
      // treats as final (no reconnect loop). The second close, graphql-ws's, is then a no-op.
      const reason =
        via === 'unknown-token'
          ? 'Unauthorized: the token is not valid'
          : 'Unauthorized: send connectionParams { authorization: "Bearer <token>" }';
      socketOf(context)?.close(CloseCode.Unauthorized, reason);
      return false;
    },
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
