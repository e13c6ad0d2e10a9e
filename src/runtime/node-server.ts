/**
 * Kairos on node:http (started by node.ts). The app's fetch handler is adapted to node:http by
 * @whatwg-node/server (what Yoga itself uses), and graphql-ws shares the port through `ws`.
 * Also runs on Bun and Deno through their Node compatibility, though bun.ts and deno.ts are native.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import { graphqlWsServerOptions } from '../graphql/ws.ts';
import { serveWithNodeProcess } from './node-host.ts';
import { graphqlUrl, type Listener } from './serve.ts';

async function listen(app: App, config: Config): Promise<Listener> {
  const server = createServer(createServerAdapter((request: Request) => app.fetch(request)));
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: config.maxBodyBytes,
    // Host and Origin rules (graphql/perimeter.ts), answered before the upgrade.
    verifyClient: ({ req }, accept) => {
      const refusal = app.perimeter.refuseUpgrade({
        origin: req.headers.origin ?? null,
        host: req.headers.host ?? null,
      });
      if (refusal) accept(false, refusal.status, refusal.message);
      else accept(true);
    },
  });
  const ws = useServer(graphqlWsServerOptions(app.yoga), wss);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    url: graphqlUrl(config.host, (server.address() as AddressInfo).port),
    stopAccepting: () => {
      server.close();
    },
    close: async () => {
      server.close(); // again, for a start that failed before stopAccepting; harmless otherwise
      await ws.dispose(); // closes every socket with 1001 "Going away"
      server.closeAllConnections(); // SSE streams and keep-alive connections
      await closed;
    },
  };
}

await serveWithNodeProcess(listen);
