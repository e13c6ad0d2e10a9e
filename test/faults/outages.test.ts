/**
 * Store outages under a running cluster (issue "Replicas and outages"), made with TCP proxies in
 * front of the shared Redis and PostgreSQL: 2 replicas, 50 `http` jobs every second. Redis goes
 * away, then PostgreSQL. CI runs short outages; `npm run bench:faults` the long ones (20 s, 25 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAvailability, REDIS_URL, redisAvailability } from '../support/services.ts';
import { account, type Cluster, sleep, startCluster } from './support/cluster.ts';
import { runOutage } from './support/scenarios.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

const redis = await redisAvailability();
const pg = await postgresAvailability();

describe.skipIf(!(redis.available && pg.available))('store outages', () => {
  let cluster: Cluster | null = null;
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  it('Redis and then PostgreSQL away: no crash, fast UNAVAILABLE, cadence back within 2 s, every fire recorded once', async () => {
    const redisUrl = new URL(REDIS_URL);
    const pgUrl = new URL(DATABASE_URL);
    const redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const pgProxy = new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    proxies.push(redisProxy, pgProxy);
    await redisProxy.start();
    await pgProxy.start();
    cluster = await startCluster({
      label: 'outage',
      jobs: 50,
      redisUrl: (real) => redisProxy.url(real),
      databaseUrl: (real) => pgProxy.url(real),
    });
    await cluster.start('a');
    await cluster.start('b');
    const from = Date.now() + 1_000;
    await sleep(3_000);
    const results = [
      await runOutage(cluster, redisProxy, 'redis', 6_000),
      await runOutage(cluster, pgProxy, 'postgres', 8_000),
    ];
    const end = Date.now();
    await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
    console.info('outages', JSON.stringify(results));
    for (const result of results) {
      expect(result.crashed).toBe(false);
      expect(result.readyzFailMs).toBeLessThanOrEqual(2_000);
      expect(result.readyzReason).toContain(result.store === 'redis' ? 'jobStore' : 'executionLog');
      expect(result.calls.length).toBeGreaterThan(0);
      for (const call of result.calls) {
        expect(call.code).toBe('UNAVAILABLE');
        expect(call.ms).toBeLessThanOrEqual(1_000);
      }
      expect(result.cadenceMs).toBeLessThanOrEqual(2_000);
    }
    const accounting = account(
      await cluster.history(),
      cluster.counter.fires,
      cluster.jobIds,
      from,
      end - 2_000,
    );
    console.info('outage records', JSON.stringify(accounting.byStatus));
    expect(accounting.duplicates).toBe(0);
    expect(accounting.problems.slice(0, 10)).toEqual([]);
  }, 180_000);
});
