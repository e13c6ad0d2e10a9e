/**
 * How the `http` task sends a request. On Node it is undici's `request` over one shared keep-alive
 * Agent with a bounded number of connections per origin: a herd of 1,000 webhooks to one host
 * reuses a pool instead of opening 1,000 sockets, and costs about a quarter of the CPU of `fetch`
 * per request (bench/http-fires.ts). Bun and Deno pool connections in their own `fetch`, which is
 * used there, and wherever undici cannot be loaded.
 */

export interface TransportRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  signal: AbortSignal;
  /** Follow 3xx answers (at most 20); otherwise the 3xx answer is the response. */
  followRedirects: boolean;
}

export interface TransportResponse {
  status: number;
  statusText: string;
  /** The Location header of the answer, if any (what a redirect points at). */
  location: string | null;
  /** At most about `limit` bytes of the body as text; the rest is discarded. */
  text(limit: number): Promise<string>;
}

export interface HttpTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the pooled connections (after the requests in flight); fetch's pools are the runtime's. */
  close?(): Promise<void>;
}

export interface TransportOptions {
  /** Open connections per origin at most (Node); further requests wait for a free one. */
  connectionsPerOrigin: number;
}

export const DEFAULT_CONNECTIONS_PER_ORIGIN = 256;
/** fetch's own limit. */
const MAX_REDIRECTIONS = 20;

const utf8 = new TextDecoder();

/** The runtime's fetch. */
export const fetchTransport: HttpTransport = {
  async send(request) {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
      redirect: request.followRedirects ? 'follow' : 'manual',
    });
    return {
      status: response.status,
      statusText: response.statusText,
      location: response.headers.get('location'),
      text: (limit) => readStream(response.body, limit),
    };
  },
};

function isNode(): boolean {
  const g = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } };
  return g.Bun === undefined && g.Deno === undefined && typeof g.process?.versions?.node === 'string';
}

/** undici on Node, loaded on first use; fetch elsewhere. */
export function defaultTransport(options: TransportOptions): HttpTransport {
  if (!isNode()) return fetchTransport;
  let loading: Promise<HttpTransport> | null = null;
  return {
    send(request) {
      loading ??= undiciTransport(options).catch(() => fetchTransport);
      return loading.then((transport) => transport.send(request));
    },
    async close() {
      await (await loading)?.close?.();
    },
  };
}

async function undiciTransport(options: TransportOptions): Promise<HttpTransport> {
  const [{ Agent, interceptors, request: send }, { STATUS_CODES }] = await Promise.all([
    import('undici'),
    import('node:http'),
  ]);
  const agent = new Agent({
    connections: options.connectionsPerOrigin,
    keepAliveTimeout: 30_000,
  });
  // The same pools either way: the redirect interceptor only wraps the agent.
  const following = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
  return {
    async send(request) {
      const response = await send(request.url, {
        method: request.method as 'POST',
        headers: request.headers,
        body: request.body,
        signal: request.signal,
        dispatcher: request.followRedirects ? following : agent,
      });
      const location = response.headers.location;
      return {
        status: response.statusCode,
        statusText: STATUS_CODES[response.statusCode] ?? '',
        location: (Array.isArray(location) ? location[0] : location) ?? null,
        text(limit) {
          // Events rather than an async iterator: a herd of 1,000 answers pays its promises otherwise.
          const body = response.body;
          return new Promise<string>((resolve, reject) => {
            const chunks: Uint8Array[] = [];
            let size = 0;
            body.on('data', (chunk: Uint8Array) => {
              chunks.push(chunk);
              size += chunk.byteLength;
              if (size <= limit) return;
              // Cut short, the connection is closed; read to its end, it goes back to the pool.
              body.destroy();
              resolve(joinText(chunks, size));
            });
            body.on('end', () => resolve(joinText(chunks, size)));
            body.on('error', reject);
          });
        },
      };
    },
    close: () => agent.close(),
  };
}

async function readStream(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  try {
    // One byte past the limit's worth, so "exactly at the limit" is told from "truncated".
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (!complete) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return joinText(chunks, size);
}

function joinText(chunks: Uint8Array[], size: number): string {
  if (chunks.length === 1) return utf8.decode(chunks[0]);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return utf8.decode(bytes);
}
