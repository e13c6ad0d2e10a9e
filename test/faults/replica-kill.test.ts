/**
 * Replicas as processes (issue "Replicas and outages"): 3 replicas started like `npm start` on one
 * Redis prefix and one PostgreSQL database, 200 `http` jobs firing every second at a local
 * counter. One replica is SIGKILLed halfway; another is frozen (SIGSTOP) past its heartbeat expiry
 * and thawed. CI runs these short versions; `npm run bench:faults` runs longer ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgresAvailability, redisAvailability } from '../support/services.ts';
import { account, type Cluster, percentile, sleep, startCluster } from './support/cluster.ts';
import { runKillScenario, runRollingRestart, summary } from './support/scenarios.ts';

const redis = await redisAvailability();
const pg = await postgresAvailability();
const ready = redis.available && pg.available;

describe.skipIf(!ready)('replica processes', () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  it('SIGKILL of 1 of 3 replicas: 0 duplicates, no job loses more than 5 fires, every fire recorded', async () => {
    cluster = await startCluster({ label: 'kill', jobs: 200 });
    const result = await runKillScenario(cluster, { beforeMs: 6_000, afterMs: 12_000 });
    console.info('kill scenario', summary(result));
    expect(result.accounting.duplicates).toBe(0);
    expect(result.accounting.problems.slice(0, 10)).toEqual([]);
    expect(Math.max(0, ...result.accounting.notRun.values())).toBeLessThanOrEqual(5);
    expect(result.runningOfDeadAfter10s).toBe(0);
    expect(result.survivorLatenessP99Ms).toBeLessThanOrEqual(1_000);
  }, 120_000);

  it('rolling SIGTERM of each replica in turn: 0 missed, 0 duplicates', async () => {
    cluster = await startCluster({ label: 'rolling', jobs: 100 });
    const result = await runRollingRestart(cluster, { settleMs: 2_000 });
    console.info('rolling restart', JSON.stringify(result.stops), JSON.stringify(result.accounting.byStatus));
    expect(result.stops.map((s) => s.code)).toEqual([0, 0, 0]);
    expect(result.accounting.duplicates).toBe(0);
    expect(result.accounting.problems.slice(0, 10)).toEqual([]);
    expect(Object.keys(result.accounting.byStatus)).toEqual(['success']);
  }, 180_000);

  it('a replica frozen past its expiry is fenced when it comes back: no fire runs twice', async () => {
    cluster = await startCluster({ label: 'freeze', jobs: 100 });
    const a = await cluster.start('a');
    await cluster.start('b');
    await sleep(4_000);
    const frozenAt = Date.now();
    a.signal('SIGSTOP');
    await sleep(6_000);
    a.signal('SIGCONT');
    await sleep(6_000);
    const end = Date.now();
    await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
    const rows = await cluster.history();
    const accounting = account(rows, cluster.counter.fires, cluster.jobIds, frozenAt - 2_000, end - 2_000);
    expect(accounting.duplicates).toBe(0);
    expect(accounting.problems.slice(0, 10)).toEqual([]);
    // It found out, said so, and went on under a new life.
    const said = a.logText();
    expect(said).toMatch(/declared dead/);
    const late = cluster.counter.fires.filter((f) => f.at > end - 4_000).map((f) => f.at - f.scheduledFor);
    expect(percentile(late, 99)).toBeLessThanOrEqual(1_000);
  }, 120_000);
});
