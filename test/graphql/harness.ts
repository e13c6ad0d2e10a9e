/**
 * A Kairos GraphQL app on memory adapters for tests: a running Scheduler with the real clock,
 * a JobService, tokens for each scope, and helpers that speak GraphQL over yoga.fetch (no port).
 */
import { createMemoryEventBus } from '../../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../../src/adapters/memory/job-store.ts';
import { systemClock } from '../../src/core/clock.ts';
import { JobService } from '../../src/core/job-service.ts';
import type { AuditLog, ExecutionLog, JobStore, SequencedEvent } from '../../src/core/ports.ts';
import { Scheduler } from '../../src/core/scheduler/scheduler.ts';
import type { TaskHandler } from '../../src/core/task.ts';
import { createKairosYoga, type KairosYogaOptions } from '../../src/graphql/yoga.ts';
import type { Scope, TokenGrant } from '../../src/scope.ts';
import { createBuiltinRegistry } from '../../src/tasks/registry.ts';

export const TOKENS = {
  read: 'read-token-1',
  operate: 'operate-token-1',
  admin: 'admin-token-1',
  /** Named: `deploy-bot=operate:deploy-bot-token-1`. */
  bot: 'deploy-bot-token-1',
} as const;
export const WRONG_TOKEN = 'not-a-token';

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: GraphQLErrorJson[];
}

export interface HarnessOptions extends Partial<KairosYogaOptions> {
  /** Wrap the stores, e.g. to make them fail. */
  wrapStore?: (store: JobStore) => JobStore;
  wrapLog?: (log: ExecutionLog) => ExecutionLog;
  /** Record job changes here (default: not audited). */
  audit?: AuditLog;
  /** Handler of the `test` task (default: returns { ok: true }). */
  handler?: TaskHandler;
  start?: boolean;
}

export function createTestApp(options: HarnessOptions = {}) {
  const tasks = createBuiltinRegistry();
  tasks.defineTask('test', options.handler ?? (() => ({ ok: true })), { description: 'a test task' });
  const rawStore = createMemoryJobStore({ clock: systemClock });
  const rawLog = createMemoryExecutionLog();
  const store = options.wrapStore ? options.wrapStore(rawStore) : rawStore;
  const log = options.wrapLog ? options.wrapLog(rawLog) : rawLog;
  const bus = createMemoryEventBus();
  const busEvents: SequencedEvent[] = [];
  bus.subscribe((event) => busEvents.push(event));
  const scheduler = new Scheduler({ store, log, bus, tasks, audit: options.audit, instance: 'gql-test' });
  const service = JobService.of(scheduler);
  if (options.start !== false) scheduler.start();
  const yoga = createKairosYoga({
    service,
    bus,
    tokens: new Map<string, Scope | TokenGrant>([
      [TOKENS.read, 'read'],
      [TOKENS.operate, 'operate'],
      [TOKENS.admin, 'admin'],
      [TOKENS.bot, { scope: 'operate', name: 'deploy-bot' }],
    ]),
    anonymousScope: null,
    version: '9.9.9',
    stores: { jobStore: 'memory', executionLog: 'memory', eventBus: 'memory' },
    ...options,
  });

  async function request<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token: string | null = TOKENS.admin,
  ): Promise<GraphQLResponse<T>> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await yoga.fetch('http://kairos.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { status: response.status, ...body };
  }

  /** Like request, but fails the test on any GraphQL error and returns data. */
  async function data<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token: string | null = TOKENS.admin,
  ): Promise<T> {
    const result = await request<T>(query, variables, token);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** Resolves with the first bus event (already seen or future) that matches. */
  function busEvent(match: (event: SequencedEvent) => boolean, timeoutMs = 5_000): Promise<SequencedEvent> {
    const seen = busEvents.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error('no matching bus event'));
      }, timeoutMs);
      const stop = bus.subscribe((event) => {
        if (!match(event)) return;
        clearTimeout(timer);
        stop();
        resolve(event);
      });
    });
  }

  /** Runs a job now and waits until its execution has finished. */
  async function runToEnd(jobId: string): Promise<string> {
    const execution = await service.runJobNow(jobId);
    await busEvent(
      (e) => e.stream === 'execution' && e.execution.id === execution.id && e.type !== 'started',
    );
    return execution.id;
  }

  /**
   * Starts a subscription over SSE. Read the first message before causing events: Yoga's SSE body is
   * pull-based, so the subscription only starts once the body is read.
   */
  async function sse(
    query: string,
    variables: Record<string, unknown> = {},
    token: string | null = TOKENS.read,
  ) {
    const controller = new AbortController();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
    };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await yoga.fetch('http://kairos.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    return new SseReader(response, controller);
  }

  /** Waits until `count` subscriptions are live in the hub. */
  async function subscribers(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (yoga.subscriptions.size !== count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} subscribers, have ${yoga.subscriptions.size}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  return {
    yoga,
    sse,
    subscribers,
    busEvent,
    runToEnd,
    scheduler,
    service,
    store: rawStore,
    /** The store the scheduler uses: `store` as wrapped by wrapStore (a Redis store, say). */
    jobStore: store,
    log: rawLog,
    /** The log the scheduler writes: `log` as wrapped by wrapLog. */
    executionLog: log,
    bus,
    busEvents,
    tasks,
    request,
    data,
    async [Symbol.asyncDispose]() {
      await yoga.dispose();
      await scheduler.stop({ deadlineMs: 0 });
      await rawStore.close();
      await rawLog.close();
      await bus.close();
    },
  };
}

export type TestApp = ReturnType<typeof createTestApp>;

/** A cron trigger that never fires during a test. */
export const YEARLY = { cron: { expression: '0 0 1 1 *' } };

/** The first error's code (and field), for compact assertions. */
export function firstError(result: GraphQLResponse<unknown>): {
  code?: string;
  field?: string;
  message?: string;
} {
  const error = result.errors?.[0];
  return { code: error?.extensions?.code, field: error?.extensions?.field, message: error?.message };
}

export interface SseMessage {
  /** `next`, `complete`, or `keep-alive` for a comment line. */
  event: string;
  data: { data?: Record<string, unknown> | null; errors?: GraphQLErrorJson[] } | null;
}

/** Reads Server-Sent Events one message at a time. */
export class SseReader {
  readonly response: Response;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly controller: AbortController;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(response: Response, controller: AbortController) {
    this.response = response;
    this.controller = controller;
    this.reader = response.body!.getReader();
  }

  /** The next message, or null when the stream ended. */
  async next(timeoutMs = 5_000): Promise<SseMessage | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseBlock(block);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no SSE message in time');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no SSE message in time')), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return null;
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next `next` message's payload, skipping keep-alives. */
  async nextPayload(timeoutMs = 5_000): Promise<NonNullable<SseMessage['data']>> {
    for (;;) {
      const message = await this.next(timeoutMs);
      if (message === null) throw new Error('the stream ended');
      if (message.event === 'next' && message.data) return message.data;
      if (message.event === 'complete') throw new Error('the stream completed');
    }
  }

  /** The rest of the body as JSON: a refused subscription is a 4xx with a GraphQL error, no stream. */
  async json(): Promise<Omit<GraphQLResponse, 'status'>> {
    let text = this.buffer;
    for (let chunk = await this.reader.read(); !chunk.done; chunk = await this.reader.read())
      text += this.decoder.decode(chunk.value, { stream: true });
    return JSON.parse(text) as Omit<GraphQLResponse, 'status'>;
  }

  close(): void {
    this.controller.abort();
    void this.reader.cancel().catch(() => {});
  }
}

function parseBlock(block: string): SseMessage {
  let event = 'message';
  const data: string[] = [];
  let comment = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comment = true;
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (comment && data.length === 0) return { event: 'keep-alive', data: null };
  const text = data.join('\n');
  return { event, data: text ? JSON.parse(text) : null };
}

/** A handler that takes `ms` and stops when its signal is aborted, as a task should. */
export function slowTaskHandler(ms: number): TaskHandler {
  return (_args, ctx) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ ok: true }), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
}

/** A job's first `first` executions over GraphQL, with the given fields, oldest fire first. */
export async function jobHistory<Row extends { scheduledFor: string }>(
  app: TestApp,
  id: string,
  fields: string,
  first: number,
): Promise<Row[]> {
  const data = await app.data<{ job: { executions: { edges: { node: Row }[] } } }>(
    `query($id: ID!, $first: Int!) { job(id: $id) { executions(first: $first) { edges { node { ${fields} } } } } }`,
    { id, first },
  );
  return data.job.executions.edges
    .map((e) => e.node)
    .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
}
