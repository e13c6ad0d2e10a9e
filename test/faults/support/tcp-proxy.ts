/**
 * A TCP proxy the fault suite controls, in front of the shared Redis or PostgreSQL (which are
 * never touched themselves): `down()` cuts every connection and refuses new ones, as a server that
 * stopped does; `hang()` keeps connections open but forwards nothing, as a partition does;
 * `up()` passes traffic again on the same port.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export type ProxyMode = 'up' | 'down' | 'hang';

export class TcpProxy {
  port = 0;
  mode: ProxyMode = 'up';
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private readonly targetHost: string;
  private readonly targetPort: number;

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Listens on a free port (or the one it had, after `down`). */
  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** The URL with its host and port replaced by the proxy's. */
  url(real: string): string {
    const url = new URL(real);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async down(): Promise<void> {
    this.mode = 'down';
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  hang(): void {
    this.mode = 'hang';
    for (const socket of this.sockets) socket.pause();
  }

  async up(): Promise<void> {
    if (this.mode === 'hang') {
      // The partition heals: what was held is dropped, as TCP would after its timeouts.
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    }
    this.mode = 'up';
    if (!this.server) await this.start();
  }

  async close(): Promise<void> {
    await this.down();
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.mode === 'hang') {
      client.pause();
      return;
    }
    const upstream = tcpConnect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (this.mode === 'up') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'up') client.write(chunk);
    });
  }
}
