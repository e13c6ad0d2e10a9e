/**
 * HTTP routing: one table, checked in order; the first route whose path matches answers. Adding an
 * endpoint (`/metrics`) is one entry in `appRoutes`. Every route but the probes is behind the
 * perimeter's Host and Origin rules (graphql/perimeter.ts).
 */
import type { Perimeter } from '../graphql/perimeter.ts';
import type { KairosYoga } from '../graphql/yoga.ts';
import type { Metrics } from '../metrics/registry.ts';
import { metricsHandler } from '../metrics/route.ts';
import { isMonitorPath, serveMonitor } from '../monitor/routes.ts';
import type { Platform } from './platform.ts';
import type { Readiness } from './readiness.ts';

export interface Route {
  /** An exact path, or a test of the path. */
  path: string | ((pathname: string) => boolean);
  /** Other methods get 405 with `Allow`; default: any method. */
  methods?: readonly string[];
  /**
   * Served before the perimeter's checks: for probes, which may use any host name. Only for
   * read-only routes that hold no job data.
   */
  open?: boolean;
  handle(request: Request): Response | Promise<Response>;
}

export interface RouteDeps {
  instance: string;
  readiness: () => Promise<Readiness>;
  yoga: Pick<KairosYoga, 'fetch' | 'authenticate'>;
  metrics: Pick<Metrics, 'scrape'>;
  platform: Platform | undefined;
}

const PROBE_METHODS = ['GET', 'HEAD'];

export function appRoutes({ instance, readiness, yoga, platform, metrics }: RouteDeps): Route[] {
  return [
    {
      path: '/healthz',
      methods: PROBE_METHODS,
      open: true,
      handle: () => json(200, { status: 'ok', instance }),
    },
    {
      path: '/readyz',
      methods: PROBE_METHODS,
      open: true,
      handle: async () => {
        const result = await readiness();
        return json(result.ready ? 200 : 503, {
          status: result.ready ? 'ready' : 'unavailable',
          instance,
          checks: result.checks,
        });
      },
    },
    // Prometheus; read scope (src/metrics/route.ts).
    {
      path: '/metrics',
      methods: PROBE_METHODS,
      handle: metricsHandler({ metrics, authenticate: yoga.authenticate }),
    },
    // The monitor page at `/` and its files under /monitor/ (src/monitor/routes.ts).
    { path: isMonitorPath, handle: (request) => serveMonitor(request, platform) },
    // Last: GraphQL at /graphql; Yoga answers 404 for any other path.
    { path: () => true, handle: (request) => yoga.fetch(request) },
  ];
}

export function createRouter(routes: readonly Route[], perimeter: Pick<Perimeter, 'refuseRequest'>) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const route = routes.find((r) => (typeof r.path === 'string' ? r.path === pathname : r.path(pathname)));
    if (!route) return new Response(null, { status: 404 });
    if (!route.open) {
      const refused = perimeter.refuseRequest(request);
      if (refused) return refused;
    }
    if (route.methods && !route.methods.includes(request.method)) {
      return new Response(null, { status: 405, headers: { allow: route.methods.join(', ') } });
    }
    return route.handle(request);
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}
