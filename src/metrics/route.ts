/**
 * GET /metrics in Prometheus' text format. It needs the read scope, decided as for GraphQL (the
 * bearer token, else the anonymous scope): job counts and failure rates are job data. Behind the
 * perimeter's Host rule like every non-probe route, so anonymous access stays loopback-only.
 */
import type { Auth } from '../graphql/auth.ts';
import type { Metrics } from './registry.ts';

export interface MetricsRouteDeps {
  metrics: Pick<Metrics, 'scrape'>;
  authenticate(credential: string | null): Promise<Auth>;
}

export function metricsHandler({ metrics, authenticate }: MetricsRouteDeps) {
  return async (request: Request): Promise<Response> => {
    // Read is the lowest scope: any request that has a scope may scrape.
    const { scope, via } = await authenticate(request.headers.get('authorization'));
    if (scope === null) {
      const message =
        via === 'unknown-token'
          ? 'the bearer token is not valid\n'
          : 'authentication required: send "Authorization: Bearer <token>"\n';
      return new Response(message, {
        status: 401,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' },
      });
    }
    const { body, contentType } = await metrics.scrape();
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { 'content-type': contentType, 'cache-control': 'no-store' },
    });
  };
}
