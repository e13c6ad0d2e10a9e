/**
 * `npm run start:bun`: Kairos on Bun.serve, with Bun's native WebSocket handler for graphql-ws.
 * Bun's types are not installed (tsc checks this file with the small shapes below).
 */
import { handleProtocols, makeHandler } from 'graphql-ws/use/bun';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import { graphqlWsServerOptions } from '../graphql/ws.ts';
import { serveWithNodeProcess } from './node-host.ts';
import { graphqlUrl, type Listener } from './serve.ts';
import { refuseUpgrade } from './upgrade.ts';

interface BunServer {
  readonly port: number;
  upgrade(request: Request): boolean;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunServeOptions {
  port: number;
  hostname: string;
  maxRequestBodySize: number;
  fetch(request: Request, server: BunServer): Promise<Response | undefined> | Response | undefined;
  websocket: ReturnType<typeof makeHandler>;
}

const Bun = (globalThis as unknown as { Bun: { serve(options: BunServeOptions): BunServer } }).Bun;

async function listen(app: App, config: Config): Promise<Listener> {
  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: config.maxBodyBytes,
    fetch(request, server) {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        if (new URL(request.url).pathname !== '/graphql') return new Response('Not Found', { status: 404 });
        const refusal = refuseUpgrade(app, request);
        if (refusal) return refusal;
        // The subprotocol is not visible on Bun's socket later, so it is checked here.
        if (!handleProtocols(request.headers.get('sec-websocket-protocol') ?? '')) {
          return new Response('Bad Request: use the graphql-transport-ws subprotocol', { status: 400 });
        }
        if (server.upgrade(request)) return undefined;
        return new Response('WebSocket upgrade failed', { status: 500 });
      }
      return app.fetch(request);
    },
    websocket: makeHandler(graphqlWsServerOptions(app.yoga)),
  });
  return {
    url: graphqlUrl(config.host, server.port),
    stopAccepting: () => {
      void server.stop(false);
    },
    close: async () => {
      await server.stop(true); // closes SSE streams and WebSockets too
    },
  };
}

await serveWithNodeProcess(listen);
