/**
 * `npm run start:deno`: Kairos on Deno.serve, with Deno.upgradeWebSocket for graphql-ws.
 * Permissions: --allow-net --allow-env --allow-read, plus --allow-write for the PGlite data
 * directory. Deno's types are not installed (tsc checks this file with the small shapes below).
 */
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeHandler } from 'graphql-ws/use/deno';
import type { App, Platform } from '../app.ts';
import type { Config } from '../config.ts';
import { graphqlWsServerOptions } from '../graphql/ws.ts';
import { runtimeVersion } from './detect.ts';
import { graphqlUrl, type Listener, serve } from './serve.ts';
import { refuseUpgrade } from './upgrade.ts';

interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}

interface DenoApi {
  readonly pid: number;
  env: { toObject(): Record<string, string>; get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
  upgradeWebSocket(
    request: Request,
    options: { protocol?: string; idleTimeout?: number },
  ): { socket: WebSocket; response: Response };
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  readTextFile(path: string): Promise<string>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  exit(code: number): never;
}

const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

const platform: Platform = {
  readTextFile: (path) => Deno.readTextFile(path),
  makeDirectory: (path) => Deno.mkdir(path, { recursive: true }),
};

async function listen(app: App, config: Config): Promise<Listener> {
  const handleSocket = makeHandler(graphqlWsServerOptions(app.yoga));
  const sockets = new Set<WebSocket>();
  const server = Deno.serve({ port: config.port, hostname: config.host, onListen: () => {} }, (request) => {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return app.fetch(request);
    if (new URL(request.url).pathname !== '/graphql') return new Response('Not Found', { status: 404 });
    const refusal = refuseUpgrade(app, request);
    if (refusal) return refusal;
    const offered = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)) {
      return new Response('Bad Request: use the graphql-transport-ws subprotocol', { status: 400 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
      idleTimeout: 12,
    });
    // graphql-ws#587: the server-side socket reports an empty protocol although the client got
    // graphql-transport-ws, and graphql-ws then closes with 4406. Tell it what was negotiated.
    Object.defineProperty(socket, 'protocol', { value: GRAPHQL_TRANSPORT_WS_PROTOCOL });
    sockets.add(socket);
    socket.addEventListener('close', () => sockets.delete(socket));
    handleSocket(socket);
    return response;
  });
  let shutdown: Promise<void> | undefined;
  return {
    url: graphqlUrl(config.host, server.addr.port),
    stopAccepting: () => {
      // Graceful: no new connections; resolves when requests in flight are answered.
      shutdown ??= server.shutdown();
    },
    close: async () => {
      for (const socket of sockets) socket.close(1001, 'Going away');
      shutdown ??= server.shutdown();
      // The app has ended its SSE streams by now; don't let a stuck client hold the exit.
      await Promise.race([shutdown, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    },
  };
}

const host = Deno.env.get('HOSTNAME'); // Deno.hostname() would need --allow-sys
await serve({
  runtime: runtimeVersion(),
  env: Deno.env.toObject(),
  defaultInstance: `${host ?? 'kairos'}-${Deno.pid}`,
  platform,
  listen,
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
  printError: (message) => console.error(message),
});
