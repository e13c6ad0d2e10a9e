/**
 * The GraphQL app: a Yoga server over the Pothos schema that never listens. Runtimes serve
 * `yoga.fetch` (HTTP + SSE) and use `graphqlWsServerOptions(yoga)` for graphql-ws.
 */
import { createYoga, type YogaLogger } from 'graphql-yoga';
import type { JobService } from '../core/job-service.ts';
import type { EventBus } from '../core/ports.ts';
import type { Logger } from '../core/task.ts';
import { createSubscriberCounts } from '../metrics/subscribers.ts';
import type { Scope } from '../scope.ts';
import { type Auth, actorOf, createTokenTable, type TokenMap } from './auth.ts';
import type { GraphQLContext, StoreNames } from './context.ts';
import { createMaskError, requestErrorCodes } from './errors.ts';
import { DEFAULT_QUEUE_LIMIT, EventHub } from './event-hub.ts';
import { bundledGraphiQL, GRAPHIQL_DEFAULT_QUERY } from './graphiql.ts';
import { armorPlugin, DEFAULT_LIMITS, documentNestingLimit, type GraphQLLimits } from './limits.ts';
import { authorizeOperation } from './operation-auth.ts';
import { type CorsOrigins, corsOption, jsonBodiesOnly } from './perimeter.ts';
import { readCachePlugin } from './read-cache.ts';
import { schema } from './schema.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';
import { sseRefusalStatus } from './sse-status.ts';
import { SubscriberLimits } from './subscriber-limits.ts';
import { createSubscriptionTokens, subscriptionTokenPlugin } from './subscription-token.ts';

export interface KairosYogaOptions {
  service: JobService;
  /** Where execution and job events come from (subscriptions). */
  bus: EventBus;
  /** token -> scope. */
  tokens: TokenMap;
  /** The scope of a request without a token; null = such requests are UNAUTHENTICATED. */
  anonymousScope: Scope | null;
  logger?: Logger;
  /** Serve the bundled GraphiQL page on GET /graphql from a browser. Default false. */
  graphiql?: boolean;
  /** Larger request bodies get 413 before they are read. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Shown by `scheduler { version }`. */
  version?: string;
  /** Shown by `scheduler { stores }`. */
  stores?: Partial<StoreNames>;
  limits?: Partial<GraphQLLimits>;
  /** Unread events a subscriber may have before it is cut off. Default 1,000. */
  subscriberQueueLimit?: number;
  /** Default /graphql. */
  graphqlEndpoint?: string;
  /** Open subscriptions (SSE + graphql-ws) in all, and per token (subscriber-limits.ts). Defaults 1,000 and 100. */
  maxSubscribers?: number;
  maxSubscribersPerToken?: number;
  /** Origins CORS lets in (KAIROS_CORS_ORIGINS); default none. */
  corsOrigins?: CorsOrigins;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Set by graphqlWsServerOptions: the credential of a WebSocket operation (there is no Request). */
export interface WsInitialContext {
  wsCredential?: string | null;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function yogaLogger(logger: Logger): YogaLogger {
  const fields = (args: unknown[]) => (args.length === 1 ? { detail: args[0] } : { detail: args });
  return {
    debug: (...args: unknown[]) => logger.debug('graphql', fields(args)),
    info: (...args: unknown[]) => logger.info('graphql', fields(args)),
    warn: (...args: unknown[]) => logger.warn('graphql', fields(args)),
    // Yoga calls error() with the original of every error it masked: those are the unexpected ones.
    error: (...args: unknown[]) =>
      logger.error('graphql: unexpected error', args.length === 1 ? { error: args[0] } : { error: args }),
  };
}

function credentialOf(initial: { request?: Request } & WsInitialContext): string | null {
  if (initial.wsCredential !== undefined) return initial.wsCredential;
  return initial.request?.headers.get('authorization') ?? null;
}

export function createKairosYoga(options: KairosYogaOptions) {
  const logger = options.logger ?? silent;
  const tokens = createTokenTable(options.tokens, options.anonymousScope);
  const queueLimit = options.subscriberQueueLimit ?? DEFAULT_QUEUE_LIMIT;
  // The hub feeds the shared executions (our own pump, not a client): give it room for a burst
  // (a claim batch starting 1,000 jobs at once) so a burst cuts off slow clients, not everyone.
  // Queues hold references to shared events, so the room costs pointers, not copies.
  const hub = new EventHub(options.bus, { queueLimit: queueLimit * 10 });
  const maskError = createMaskError(logger);
  const yogaLog = yogaLogger(logger);
  const subscriberCounts = createSubscriberCounts(); // kairos_subscribers{transport}
  const subscriberLimits = new SubscriberLimits({
    max: options.maxSubscribers,
    maxPerKey: options.maxSubscribersPerToken,
  });
  const subscriptionTokens = createSubscriptionTokens({
    tokens: options.tokens,
    anonymousScope: options.anonymousScope,
  });
  const subscriptionTokenAuth = subscriptionTokenPlugin(subscriptionTokens);
  const subscriptions = new SharedSubscriptions({
    queueLimit,
    admit: (context) =>
      subscriberCounts.track(
        context,
        subscriberLimits.tryOpen((context as Partial<GraphQLContext>).auth?.subject ?? 'anonymous'),
      ),
    // Masks a shared result once for all its clients, and logs what it hides as Yoga does.
    maskError: (error, message) => {
      const masked = maskError(error, message);
      if (masked !== error) yogaLog.error(error);
      return masked;
    },
  });
  const info = {
    version: options.version ?? 'unknown',
    stores: { jobStore: 'unknown', executionLog: 'unknown', eventBus: 'unknown', ...options.stores },
  };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const graphiql = bundledGraphiQL();
  const corsOrigins = options.corsOrigins ?? [];

  // Once per request: the read cache keys on it before the context is built, the context reuses it.
  const authByRequest = new WeakMap<Request, Promise<Auth>>();
  const authOf = (initial: { request?: Request } & WsInitialContext): Promise<Auth> => {
    const request = initial.request;
    const cached = request && authByRequest.get(request);
    if (cached) return cached;
    const minted = subscriptionTokenAuth.authOf(request);
    const auth = minted ? Promise.resolve(minted) : tokens.authenticate(credentialOf(initial));
    if (request && initial.wsCredential === undefined) authByRequest.set(request, auth);
    return auth;
  };
  const readCache = readCachePlugin({
    schema,
    changeCount: () => options.service.jobsChangeCount(),
    authOf: (request) => authOf({ request }),
  });

  const yoga = createYoga<WsInitialContext, GraphQLContext>({
    schema,
    graphqlEndpoint: options.graphqlEndpoint ?? '/graphql',
    context: async (initial): Promise<GraphQLContext> => {
      const auth = await authOf(initial);
      // The service acts for the caller, so the audit trail says who changed what.
      return { service: options.service.as(actorOf(auth)), auth, hub, info, subscriptionTokens };
    },
    maskedErrors: { maskError, isDev: false },
    logging: yogaLog,
    graphiql: options.graphiql
      ? { title: 'Kairos', defaultQuery: GRAPHIQL_DEFAULT_QUERY, subscriptionsProtocol: 'SSE' }
      : false,
    renderGraphiQL: graphiql.render,
    landingPage: false,
    cors: corsOption(corsOrigins),
    batching: false,
    multipart: false,
    maxRequestBodySize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    plugins: [
      jsonBodiesOnly(corsOrigins), // CSRF: before anything reads the body
      subscriptionTokenAuth, // ?token= on an SSE subscription: checked before anything runs
      armorPlugin(limits),
      documentNestingLimit, // after armor: it wraps armor's parser
      authorizeOperation, // before sharing: every client is checked before it joins a shared stream
      requestErrorCodes,
      readCache, // after the checks above: it keeps only results they let through
      subscriptions.plugin,
      sseRefusalStatus, // a refused SSE subscription is a 4xx, not a 200 stream EventSource retries
      graphiql.plugin, // the GraphiQL page gzipped, with an ETag
      { onDispose: () => hub.close() },
    ],
  });
  // Exposed for metrics and tests: subscriptions.size is the live client subscriptions,
  // subscriptions.groupCount the executions serving them. yoga.dispose() ends them all.
  // authenticate: what a graphql-ws connection_init is checked with (ws.ts).
  // subscriberLimits: open subscriptions per token and in all; subscriberCounts: by transport.
  return Object.assign(yoga, {
    hub,
    subscriptions,
    subscriberLimits,
    subscriberCounts,
    authenticate: tokens.authenticate,
  });
}

export type KairosYoga = ReturnType<typeof createKairosYoga>;
