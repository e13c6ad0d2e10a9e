/**
 * The service's life, the same on every runtime: settings -> app -> listen -> start -> wait for
 * SIGTERM/SIGINT -> graceful stop -> exit. Each runtime entry (node.ts, bun.ts, deno.ts) supplies
 * only what differs: its environment, its server and its signals.
 */
import { type App, createApp, type Platform } from '../app.ts';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { JobsFileError } from '../jobs-file.ts';
import { createLogger, type JsonLogger } from '../logger.ts';

export interface Listener {
  /** Where GraphQL is served, e.g. http://127.0.0.1:4000/graphql (with the real port when PORT=0). */
  url: string;
  /** Refuse new connections; open ones (SSE, WebSocket) stay until close(). */
  stopAccepting(): void;
  /** Close every open connection and the server. */
  close(): Promise<void>;
}

export interface RuntimeHost {
  runtime: string;
  env: Record<string, string | undefined>;
  defaultInstance: string;
  platform: Platform;
  listen(app: App, config: Config): Promise<Listener>;
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): void;
  /** Plain text to stderr, for messages meant for a person (settings errors). */
  printError(message: string): void;
}

/** Give graceful stop this long beyond the executions' deadline before exiting anyway. */
const STOP_MARGIN_MS = 10_000;

/** A second SIGINT/SIGTERM this soon after the first is a duplicate copy of it (see shutdown). */
const DUPLICATE_SIGNAL_MS = 1_000;

export async function serve(runtimeHost: RuntimeHost): Promise<void> {
  let host = runtimeHost;
  let config: Config;
  try {
    config = loadConfig(host.env, { defaultInstance: host.defaultInstance });
  } catch (error) {
    host.printError(error instanceof ConfigError ? error.message : String(error));
    host.exit(1);
    return;
  }
  const logger = createLogger({ level: config.logLevel, bindings: { instance: config.instance } });
  // Lines held for the end of the turn are written before the process goes.
  host = {
    ...runtimeHost,
    exit: (code) => {
      logger.flush();
      runtimeHost.exit(code);
    },
  };
  for (const warning of config.warnings) logger.warn(warning);

  let app: App | undefined;
  let listener: Listener | undefined;
  let stopping = false;
  try {
    app = await createApp(config, { logger, platform: host.platform });
    // Listen before starting: the API answers while the history opens (seconds for a first
    // PGlite start), orchestrators see /healthz up and /readyz 503 until the scheduler runs.
    listener = await host.listen(app, config);
    // From here a signal stops gracefully, also during the start: a PGlite killed while it
    // creates its data directory leaves one it cannot open.
    onSignals(host, config, logger, app, listener, () => {
      stopping = true;
    });
    await app.start();
  } catch (error) {
    if (stopping) return; // stopped while starting: the stop exits
    if (error instanceof JobsFileError) host.printError(error.message);
    else logger.error('Kairos could not start', { error });
    await listener?.close().catch(() => {});
    await app?.stop().catch(() => {});
    host.exit(1);
    return;
  }
  if (stopping) return;

  logger.info(`Kairos ready at ${listener.url}`, {
    url: listener.url,
    runtime: host.runtime,
    jobStore: config.redis ? 'redis' : 'memory',
    executionLog: config.database.kind,
    auth: config.anonymousScope ? `anonymous ${config.anonymousScope}` : `${config.tokens.size} token(s)`,
  });
}

function onSignals(
  host: RuntimeHost,
  config: Config,
  logger: JsonLogger,
  app: App,
  listener: Listener,
  onStop: () => void,
): void {
  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A terminal's Ctrl-C reaches the whole process group, and `npm start` forwards its copy
      // too: a repeat within a second is the same key press, not an impatient second one.
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
        logger.debug(`${signal} again within ${DUPLICATE_SIGNAL_MS} ms: taken as the same signal`);
        return;
      }
      logger.warn(`${signal} again: exiting without waiting`);
      host.exit(1);
      return;
    }
    stopping = true;
    onStop();
    firstSignalAt = Date.now();
    logger.info('stopping', { signal, deadlineMs: config.shutdownTimeoutMs });
    const force = setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      host.exit(1);
    }, config.shutdownTimeoutMs + STOP_MARGIN_MS);
    void (async () => {
      listener.stopAccepting();
      // Executions drain while subscribers are still connected, so they see the final events.
      await app.stop();
      await listener.close();
    })().then(
      () => {
        clearTimeout(force);
        logger.info('stopped');
        host.exit(0);
      },
      (error: unknown) => {
        clearTimeout(force);
        logger.error('graceful stop failed', { error });
        host.exit(1);
      },
    );
  };
  host.onSignal('SIGTERM', () => shutdown('SIGTERM'));
  host.onSignal('SIGINT', () => shutdown('SIGINT'));
}

/** http://host:port/graphql, with IPv6 hosts in brackets. */
export function graphqlUrl(host: string, port: number): string {
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${name}:${port}/graphql`;
}
