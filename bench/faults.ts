/**
 * The fault scenarios at full length (the CI suite in test/faults runs short ones): replicas as
 * processes on the real Redis and PostgreSQL, faults made through TCP proxies and signals. Prints,
 * per scenario, the failover or recovery time, fires lost, records by status and duplicates.
 *
 *   npm run bench:faults            # every scenario
 *   npm run bench:faults -- kill    # one of: kill, rolling, freeze, outages
 */
import { account, sleep, startCluster } from '../test/faults/support/cluster.ts';
import {
  runKillScenario,
  runOutages,
  runRollingRestart,
  startProxiedCluster,
  summary,
} from '../test/faults/support/scenarios.ts';

type Scenario = () => Promise<string>;

const scenarios: Record<string, Scenario> = {
  async kill() {
    const cluster = await startCluster({ label: 'bench_kill', jobs: 200 });
    try {
      return summary(await runKillScenario(cluster, { beforeMs: 20_000, afterMs: 30_000 }));
    } finally {
      await cluster.close();
    }
  },
  async rolling() {
    const cluster = await startCluster({ label: 'bench_rolling', jobs: 200 });
    try {
      const result = await runRollingRestart(cluster, { settleMs: 5_000 });
      const stops = result.stops.map((s) => `${s.name} ${s.ms} ms (exit ${s.code})`).join(', ');
      return `stops: ${stops}; duplicates ${result.accounting.duplicates}, records ${JSON.stringify(result.accounting.byStatus)}, unaccounted ${result.accounting.problems.length}`;
    } finally {
      await cluster.close();
    }
  },
  async freeze() {
    const cluster = await startCluster({ label: 'bench_freeze', jobs: 200 });
    try {
      const a = await cluster.start('a');
      await cluster.start('b');
      await sleep(10_000);
      const frozenAt = Date.now();
      a.signal('SIGSTOP');
      await sleep(10_000);
      a.signal('SIGCONT');
      await sleep(10_000);
      const end = Date.now();
      await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
      const accounting = account(
        await cluster.history(),
        cluster.counter.fires,
        cluster.jobIds,
        frozenAt - 5_000,
        end - 2_000,
      );
      const fenced = a.logText().includes('declared dead');
      return `frozen 10 s: fenced and reported ${fenced}, duplicates ${accounting.duplicates}, records ${JSON.stringify(accounting.byStatus)}, unaccounted ${accounting.problems.length}`;
    } finally {
      await cluster.close();
    }
  },
  async outages() {
    const proxied = await startProxiedCluster('bench_outage', 200);
    try {
      const { outages, accounting } = await runOutages(proxied, { redisMs: 20_000, postgresMs: 25_000 });
      const each = outages.map(
        (o) =>
          `${o.store} down: /readyz 503 after ${o.readyzFailMs} ms, API ${o.calls.map((c) => `${c.code} ${c.ms} ms`).join('/')}, normal cadence ${o.cadenceMs} ms after recovery, crashed ${o.crashed}`,
      );
      return `${each.join('; ')}; duplicates ${accounting.duplicates}, records ${JSON.stringify(accounting.byStatus)}, unaccounted ${accounting.problems.length}`;
    } finally {
      await proxied.close();
    }
  },
};

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(scenarios);
console.log(`bench:faults ${new Date().toISOString()} (3 replicas as processes, real Redis and PostgreSQL)`);
for (const name of names) {
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario "${name}"; one of ${Object.keys(scenarios).join(', ')}`);
  const began = Date.now();
  const line = await run();
  console.log(`${name} (${Math.round((Date.now() - began) / 1000)} s): ${line}`);
}
