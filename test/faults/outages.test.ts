/**
 * Store outages under a running cluster (issue "Replicas and outages"), made with TCP proxies in
 * front of the shared Redis and PostgreSQL: 2 replicas, 50 `http` jobs every second. Redis goes
 * away, then PostgreSQL. CI runs short outages; `npm run bench:faults` the long ones (20 s, 25 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgresAvailability, redisAvailability } from '../support/services.ts';
import { type ProxiedCluster, runOutages, startProxiedCluster } from './support/scenarios.ts';

const redis = await redisAvailability();
const pg = await postgresAvailability();

describe.skipIf(!(redis.available && pg.available))('store outages', () => {
  let proxied: ProxiedCluster | null = null;
  afterEach(async () => {
    await proxied?.close();
    proxied = null;
  });

  it('Redis and then PostgreSQL away: no crash, fast UNAVAILABLE, cadence back within 2 s, every fire recorded once', async () => {
    proxied = await startProxiedCluster('outage', 50);
    const { outages, accounting } = await runOutages(proxied, { redisMs: 6_000, postgresMs: 8_000 });
    console.info('outages', JSON.stringify(outages.map(({ readyzReason: _, ...rest }) => rest)));
    console.info('outage records', JSON.stringify(accounting.byStatus));
    for (const result of outages) {
      expect(result.crashed).toBe(false);
      // /readyz names the failing store within 2 s.
      expect(result.readyzFailMs).toBeLessThanOrEqual(2_000);
      expect(result.readyzReason).toMatch(
        result.store === 'redis'
          ? /"jobStore","kind":"redis","ok":false/
          : /"executionLog","kind":"postgres","ok":false/,
      );
      // API calls that need the store answer UNAVAILABLE within 1 s.
      expect(result.calls.length).toBeGreaterThan(0);
      for (const call of result.calls) {
        expect(call.code).toBe('UNAVAILABLE');
        expect(call.ms).toBeLessThanOrEqual(1_000);
      }
      expect(result.cadenceMs).toBeLessThanOrEqual(2_000);
    }
    expect(accounting.duplicates).toBe(0);
    expect(accounting.problems.slice(0, 10)).toEqual([]);
  }, 180_000);
});
