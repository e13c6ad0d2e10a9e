/**
 * A GraphQL subscription over Server-Sent Events, read with fetch (EventSource cannot send the
 * Authorization header). Reconnects by itself with a capped backoff; the caller sees each event,
 * and a status: connecting, live, reconnecting, unauthenticated.
 */
import { authHeaders, reportUnauthenticated } from './api.js';

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

export function subscribe({ query, variables = {}, onData, onStatus }) {
  let stopped = false;
  let controller = null;

  const run = async () => {
    for (let attempt = 0; !stopped; attempt++) {
      onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      controller = new AbortController();
      try {
        const response = await fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
          body: JSON.stringify({ query, variables }),
          signal: controller.signal,
        });
        if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          // Refused before any stream: a JSON error (bad token, too many subscribers).
          const body = await response.json().catch(() => null);
          if (body?.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') {
            onStatus('unauthenticated');
            reportUnauthenticated();
            return;
          }
          throw new Error(body?.errors?.[0]?.message ?? `HTTP ${response.status}`);
        }
        onStatus('live');
        attempt = 0;
        await readStream(response.body, (message) => {
          if (message.data) onData(message.data);
        });
      } catch {
        // Dropped, refused or aborted: try again below unless stopped.
      }
      if (stopped) return;
      onStatus('reconnecting');
      await new Promise((resolve) =>
        setTimeout(resolve, BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]),
      );
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** Reads `event:`/`data:` blocks until the stream ends; calls `onMessage` with each `next` payload. */
async function readStream(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (event === 'complete') return;
      if ((event === 'next' || event === 'message') && data.length > 0)
        onMessage(JSON.parse(data.join('\n')));
    }
  }
}
