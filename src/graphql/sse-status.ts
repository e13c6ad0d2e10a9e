/**
 * An SSE subscription that is refused gets an HTTP error status before any stream starts, not a
 * 200 stream holding the error: a browser EventSource reconnects forever after a 200 stream ends,
 * and stops (readyState CLOSED, an `error` event) on any other status. Applies to requests that
 * accept only an event stream (EventSource, graphql-sse clients, curl -H 'accept: text/event-stream')
 * and whose result is an error without data: UNAUTHENTICATED 401, FORBIDDEN 403,
 * TOO_MANY_SUBSCRIPTIONS 429, a bad request (invalid document, arguments or variables) 400. The body
 * is the GraphQL JSON a client would get otherwise. A store that is down (UNAVAILABLE) or an
 * unexpected error keeps Yoga's answer, so EventSource retries it as it should.
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { serializeResult } from './sse-stream.ts';

const STATUS: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TOO_MANY_SUBSCRIPTIONS: 429,
  BAD_USER_INPUT: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
};

const JSON_TYPES = ['application/json', 'application/graphql-response+json', '*/*', 'application/*'];

/** The request takes an event stream and nothing a JSON answer could be sent as. */
function wantsOnlyEventStream(request: Request): boolean {
  const accepted = (request.headers.get('accept') ?? '')
    .toLowerCase()
    .split(',')
    .map((part) => part.split(';')[0]!.trim());
  return accepted.includes('text/event-stream') && !accepted.some((type) => JSON_TYPES.includes(type));
}

/** The status for a refused result, or null when it is not one. */
export function refusalStatus(result: ExecutionResult): number | null {
  if (result.data != null || !result.errors?.length) return null;
  let status: number | null = null;
  for (const error of result.errors) {
    const code = error.extensions?.code;
    // Validation errors graphql-js made carry no code: the document itself is wrong.
    const mapped = typeof code === 'string' ? STATUS[code] : error.originalError ? undefined : 400;
    if (mapped === undefined) return null; // something else went wrong too: keep Yoga's answer
    status ??= mapped; // the first error's
  }
  return status;
}

export const sseRefusalStatus: Plugin = {
  onResultProcess({ request, result, setResultProcessor }) {
    if (isAsyncIterable(result) || Array.isArray(result) || !wantsOnlyEventStream(request)) return;
    const status = refusalStatus(result as ExecutionResult);
    if (status === null) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    };
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    if (status === 429) headers['retry-after'] = '10';
    setResultProcessor(
      (processed, fetchAPI) =>
        new fetchAPI.Response(serializeResult(processed as ExecutionResult), { status, headers }),
      'application/json',
    );
  },
};
