/**
 * Built-in `http` task: calls a URL (a webhook) through an HttpTransport (./http-transport.ts:
 * undici's pooled `request` on Node, the runtime's fetch on Bun and Deno). A 2xx answer succeeds
 * with { status, durationMs, body }; anything else fails with the status and the start of the
 * response body in the message, which is what lands in the history.
 */
import { ValidationError } from '../core/errors.ts';
import { truncateUtf8 } from '../core/execution.ts';
import type { JsonObject, JsonValue } from '../core/json.ts';
import type { TaskContext, TaskDefinition } from '../core/task.ts';
import { traceparentOf } from '../core/trace-context.ts';
import { DEFAULT_CONNECTIONS_PER_ORIGIN, defaultTransport, type HttpTransport } from './http-transport.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How much of a response body is kept, in the result or in the error message. */
export const MAX_RESPONSE_BODY_BYTES = 1024;
/** setTimeout's ceiling: a longer delay would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

const FIELDS = ['url', 'method', 'headers', 'body', 'timeoutMs', 'followRedirects'];
// Set by the task on every request; a job may not forge them.
const KAIROS_HEADERS = [
  'x-kairos-job-id',
  'x-kairos-execution-id',
  'x-kairos-scheduled-for',
  'x-kairos-attempt',
];

export interface HttpArgs {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** Text to send; null for no body. */
  body: string | null;
  /** The body was given as JSON (sent with content-type application/json unless a header says otherwise). */
  json: boolean;
  timeoutMs: number | null;
  /** Follow 3xx answers; by default a redirect fails the run (a webhook that moved should say so). */
  followRedirects: boolean;
}

export interface HttpResult extends JsonObject {
  status: number;
  durationMs: number;
  /** The first MAX_RESPONSE_BODY_BYTES of the response text. */
  body: string;
}

/** Validate and normalize the task's args; throws ValidationError naming the field. */
export function parseHttpArgs(args: JsonValue): HttpArgs {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ValidationError('args', 'must be an object with at least a url');
  }
  for (const key of Object.keys(args)) {
    if (!FIELDS.includes(key)) {
      throw new ValidationError(
        `args.${key}`,
        `is not a field of the http task (fields: ${FIELDS.join(', ')})`,
      );
    }
  }
  const method = parseMethod(args.method);
  const { body, json } = parseBody(args.body, method);
  return {
    url: parseUrl(args.url),
    method,
    headers: parseHeaders(args.headers),
    body,
    json,
    timeoutMs: parseTimeout(args.timeoutMs),
    followRedirects: parseFollowRedirects(args.followRedirects),
  };
}

function parseFollowRedirects(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ValidationError('args.followRedirects', 'must be true or false');
  return value;
}

function parseUrl(value: JsonValue | undefined): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError('args.url', 'is required and must be a string');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('args.url', `is not a valid absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError('args.url', `must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  // fetch refuses such URLs, and they would end up in error messages and the history.
  if (url.username || url.password) {
    throw new ValidationError(
      'args.url',
      'must not contain credentials; send an Authorization header instead',
    );
  }
  return url.href;
}

function parseMethod(value: JsonValue | undefined): HttpMethod {
  if (value === undefined || value === null) return 'POST';
  const upper = typeof value === 'string' ? value.toUpperCase() : '';
  const method = HTTP_METHODS.find((m) => m === upper);
  if (!method) throw new ValidationError('args.method', `must be one of ${HTTP_METHODS.join(', ')}`);
  return method;
}

function parseHeaders(value: JsonValue | undefined): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('args.headers', 'must be an object of header names to string values');
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    const field = `args.headers.${name}`;
    if (typeof headerValue !== 'string') throw new ValidationError(field, 'must be a string');
    if (KAIROS_HEADERS.includes(name.toLowerCase()))
      throw new ValidationError(field, 'is set by Kairos itself');
    try {
      // The Headers constructor applies the Fetch rules for names and values.
      new Headers([[name, headerValue]]);
    } catch {
      throw new ValidationError(field, 'is not a valid header name or value');
    }
    headers[name] = headerValue;
  }
  return headers;
}

function parseBody(value: JsonValue | undefined, method: HttpMethod): { body: string | null; json: boolean } {
  if (value === undefined || value === null) return { body: null, json: false };
  if (method === 'GET' || method === 'HEAD') {
    throw new ValidationError('args.body', `a ${method} request cannot have a body`);
  }
  if (typeof value === 'string') return { body: value, json: false };
  return { body: JSON.stringify(value), json: true };
}

function parseTimeout(value: JsonValue | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new ValidationError(
      'args.timeoutMs',
      `must be an integer between 1 and ${MAX_TIMEOUT_MS} (milliseconds)`,
    );
  }
  return value;
}

async function runHttp(
  transport: HttpTransport,
  rawArgs: JsonValue,
  context: TaskContext,
  traced: boolean,
): Promise<HttpResult> {
  const args = parseHttpArgs(rawArgs);
  const target = `${args.method} ${args.url}`;
  context.signal.throwIfAborted();

  const timeoutMs = args.timeoutMs;
  // One controller the execution's abort is forwarded to: AbortSignal.any costs several times a
  // listener per request (weak references, a registry), which a herd of 1,000 pays at its start.
  const timeout = timeoutMs === null ? null : new AbortController();
  const forward = timeout ? () => timeout.abort(context.signal.reason) : null;
  if (forward) context.signal.addEventListener('abort', forward, { once: true });
  const timer = timeout
    ? setTimeout(
        () => timeout.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
        timeoutMs ?? 0,
      )
    : undefined;
  const signal = timeout ? timeout.signal : context.signal;
  const started = performance.now();
  try {
    const response = await transport.send({
      url: args.url,
      method: args.method,
      headers: requestHeaders(args, context, traced),
      body: args.body,
      signal,
      followRedirects: args.followRedirects,
    });
    const body = truncateUtf8(await response.text(MAX_RESPONSE_BODY_BYTES), MAX_RESPONSE_BODY_BYTES);
    if (response.status < 200 || response.status > 299) {
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      const redirect =
        response.status >= 300 && response.status < 400 && response.location !== null
          ? ` (a redirect to ${response.location}; args.followRedirects: true follows it)`
          : '';
      throw new HttpStatusError(
        `${status} from ${target}${redirect}${body ? `: ${body}` : ''}`,
        response.status,
      );
    }
    return { status: response.status, durationMs: Math.round(performance.now() - started), body };
  } catch (error) {
    if (error instanceof HttpStatusError) throw error;
    // The execution's own abort (timeout or stop) keeps its reason: the executor recognizes it.
    if (context.signal.aborted) throw context.signal.reason;
    if (timeout?.signal.aborted) {
      throw new Error(`${target} timed out after ${timeoutMs} ms (args.timeoutMs)`, { cause: error });
    }
    throw new Error(`${target} failed: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    if (forward) context.signal.removeEventListener('abort', forward);
  }
}

/** A non-2xx answer. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

/** Lower-case names: the job's headers, then ours (a job cannot forge them, see parseHeaders). */
function requestHeaders(args: HttpArgs, context: TaskContext, traced: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(args.headers)) headers[name.toLowerCase()] = value;
  if (args.json && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  headers['user-agent'] ??= 'kairos';
  headers['x-kairos-job-id'] = context.jobId;
  headers['x-kairos-execution-id'] = context.executionId;
  headers['x-kairos-scheduled-for'] = new Date(context.scheduledFor).toISOString();
  headers['x-kairos-attempt'] = String(context.attempt);
  // The execution's span, exported with the same ids (trace-context.ts); it replaces a job's own.
  const traceparent = traced ? traceparentOf(context.executionId) : null;
  if (traceparent !== null) headers.traceparent = traceparent;
  return headers;
}

/**
 * The useful part of a fetch failure. Node's fetch says only "fetch failed" and puts the reason
 * (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`, sometimes as an AggregateError with no message.
 */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    let text = current.message;
    if (!text && current instanceof AggregateError) {
      text = current.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !text.includes(code)) text = text ? `${text} (${code})` : code;
    if (text && !parts.includes(text)) parts.push(text);
    current = current.cause;
  }
  const useful = parts.length > 1 ? parts.filter((p) => p !== 'fetch failed') : parts;
  return useful.join(': ') || 'unknown error';
}

export interface HttpTaskOptions {
  /** Send a W3C `traceparent` naming the execution's span (set when traces are exported). */
  traceparent?: boolean;
}

/** The `http` task over a transport (default: pooled, at most 256 connections per origin). */
export function createHttpTask(
  transport: HttpTransport = defaultTransport({ connectionsPerOrigin: DEFAULT_CONNECTIONS_PER_ORIGIN }),
  options: HttpTaskOptions = {},
): TaskDefinition {
  const traced = options.traceparent ?? false;
  return {
    name: 'http',
    description:
      'Calls a URL (webhook). Args: url, method (default POST), headers, body (string or JSON), timeoutMs, ' +
      'followRedirects (default false). Fails on a non-2xx answer, a redirect included unless followed.',
    handler: (args, context) => runHttp(transport, args, context, traced),
    validateArgs: (args) => {
      parseHttpArgs(args);
    },
  };
}

export const httpTask: TaskDefinition = createHttpTask();
