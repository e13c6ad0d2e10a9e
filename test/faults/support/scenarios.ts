/**
 * The fault scenarios, shared by the CI suite (short) and `npm run bench:faults` (long): each runs
 * against a started cluster and returns what was measured; the caller asserts or prints it.
 */
import { DATABASE_URL, REDIS_URL } from '../../support/services.ts';
import {
  type Accounting,
  account,
  type Cluster,
  type HistoryRow,
  percentile,
  sleep,
  startCluster,
} from './cluster.ts';
import { TcpProxy } from './tcp-proxy.ts';

export interface KillResult {
  accounting: Accounting;
  /** Running rows of the killed replica 10 s after the kill. */
  runningOfDeadAfter10s: number;
  /** Start lateness p99 (counter arrival - scheduled) of the fires the survivors ran. */
  survivorLatenessP99Ms: number;
  /** Kill -> the last job's first successful fire scheduled after the kill. */
  failoverMs: number;
}

/** 3 replicas; the third is SIGKILLed after `beforeMs`; the run goes on `afterMs` (>= 10 s). */
export async function runKillScenario(
  cluster: Cluster,
  options: { beforeMs: number; afterMs: number },
): Promise<KillResult> {
  await cluster.start('a');
  await cluster.start('b');
  const victim = await cluster.start('c');
  const from = Date.now() + 1_000;
  await sleep(options.beforeMs);
  const killedAt = Date.now();
  victim.signal('SIGKILL');
  await victim.exited;
  cluster.replicas.delete('c');
  await sleep(10_000);
  const running = (await cluster.history()).filter(
    (r) => r.instance === 'c' && (r.status === 'running' || r.status === 'pending'),
  ).length;
  await sleep(Math.max(0, options.afterMs - 10_000));
  const end = Date.now();
  await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
  const rows = await cluster.history();
  const to = end - 2_000;
  return {
    accounting: account(rows, cluster.counter.fires, cluster.jobIds, from, to),
    runningOfDeadAfter10s: running,
    survivorLatenessP99Ms: survivorLateness(rows, cluster, from, to, 'c'),
    failoverMs: failover(rows, cluster.jobIds, killedAt),
  };
}

function survivorLateness(
  rows: HistoryRow[],
  cluster: Cluster,
  from: number,
  to: number,
  dead: string,
): number {
  const instanceOf = new Map(rows.map((r) => [r.id, r.instance]));
  const lateness = cluster.counter.fires
    .filter((f) => f.scheduledFor >= from && f.scheduledFor < to && instanceOf.get(f.executionId) !== dead)
    .map((f) => f.at - f.scheduledFor);
  return percentile(lateness, 99);
}

function failover(rows: HistoryRow[], jobIds: string[], since: number): number {
  let worst = 0;
  for (const jobId of jobIds) {
    const next = rows.find((r) => r.job_id === jobId && r.scheduled_for > since && r.status === 'success');
    worst = Math.max(worst, next ? next.scheduled_for - since : Number.POSITIVE_INFINITY);
  }
  return worst;
}

/** One line for logs and the bench: the measured figures of a scenario. */
export function summary(result: KillResult): string {
  const worst = Math.max(0, ...result.accounting.notRun.values());
  return [
    `failover ${result.failoverMs} ms`,
    `duplicates ${result.accounting.duplicates}`,
    `records ${JSON.stringify(result.accounting.byStatus)}`,
    `unaccounted ${result.accounting.problems.length}`,
    `worst job lost ${worst} fires`,
    `dead's open rows after 10 s ${result.runningOfDeadAfter10s}`,
    `survivors p99 lateness ${result.survivorLatenessP99Ms} ms`,
  ].join(', ');
}

export interface OutageResult {
  store: 'redis' | 'postgres';
  /** Outage start -> the first /readyz 503 naming the store. */
  readyzFailMs: number;
  readyzReason: string;
  /** API calls needing the store during the outage: answer time and error code. */
  calls: { ms: number; code: string }[];
  /** Outage end -> the first of 3 whole seconds in a row at which every job fired on time. */
  cadenceMs: number;
  /** Process exits seen during the outage (a crash). */
  crashed: boolean;
}

const CALLS: Record<OutageResult['store'], string> = {
  redis: 'mutation { removeJob(id: "no-such-job") { id } }',
  postgres: '{ executions(first: 1) { edges { node { id } } } }',
};

/** Takes the store behind `proxy` away for `downMs`, probing a replica all along. */
export async function runOutage(
  cluster: Cluster,
  proxy: { down(): Promise<void>; up(): Promise<void> },
  store: OutageResult['store'],
  downMs: number,
): Promise<OutageResult> {
  const replica = [...cluster.replicas.values()][0];
  if (!replica) throw new Error('no replica');
  const origin = new URL(replica.url).origin;
  const downAt = Date.now();
  await proxy.down();
  let readyzFailMs = Number.POSITIVE_INFINITY;
  let readyzReason = '';
  const calls: OutageResult['calls'] = [];
  while (Date.now() - downAt < downMs) {
    if (readyzFailMs === Number.POSITIVE_INFINITY) {
      const response = await fetch(`${origin}/readyz`).catch(() => null);
      if (response?.status === 503) {
        readyzFailMs = Date.now() - downAt;
        readyzReason = await response.text();
      }
    } else if (calls.length < 5) {
      const began = Date.now();
      const response = await fetch(replica.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: CALLS[store] }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      calls.push({ ms: Date.now() - began, code: body.errors?.[0]?.extensions?.code ?? 'OK' });
    }
    await sleep(100);
  }
  await proxy.up();
  const upAt = Date.now();
  await sleep(6_000);
  const crashed = [...cluster.replicas.values()].some((r) => r.hasExited());
  return { store, readyzFailMs, readyzReason, calls, cadenceMs: cadence(cluster, upAt), crashed };
}

function cadence(cluster: Cluster, since: number): number {
  const onTime = new Map<number, number>();
  for (const fire of cluster.counter.fires)
    if (fire.attempt === 1 && fire.scheduledFor >= since && fire.at - fire.scheduledFor <= 1_000)
      onTime.set(fire.scheduledFor, (onTime.get(fire.scheduledFor) ?? 0) + 1);
  const all = cluster.jobIds.length;
  for (let s = Math.ceil(since / 1_000) * 1_000; s < since + 6_000; s += 1_000)
    if ([0, 1, 2].every((k) => onTime.get(s + k * 1_000) === all)) return s - since;
  return Number.POSITIVE_INFINITY;
}

export interface RollingResult {
  accounting: Accounting;
  /** How long each replica took to stop on SIGTERM, and its exit code. */
  stops: { name: string; ms: number; code: number | null }[];
}

/** 3 replicas; each in turn gets SIGTERM, exits, and is started again. */
export async function runRollingRestart(
  cluster: Cluster,
  options: { settleMs: number },
): Promise<RollingResult> {
  const names = ['a', 'b', 'c'];
  for (const name of names) await cluster.start(name);
  const from = Date.now() + 1_000;
  await sleep(options.settleMs);
  const stops: RollingResult['stops'] = [];
  for (const name of names) {
    const replica = cluster.replicas.get(name);
    if (!replica) continue;
    const began = Date.now();
    const code = await replica.stop('SIGTERM');
    stops.push({ name, ms: Date.now() - began, code });
    await cluster.start(name);
    await sleep(options.settleMs);
  }
  const end = Date.now();
  await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
  const rows = await cluster.history();
  return { accounting: account(rows, cluster.counter.fires, cluster.jobIds, from, end - 2_000), stops };
}

export interface ProxiedCluster {
  cluster: Cluster;
  redisProxy: TcpProxy;
  pgProxy: TcpProxy;
  close(): Promise<void>;
}

/** A cluster whose replicas reach Redis and PostgreSQL through proxies the caller controls. */
export async function startProxiedCluster(label: string, jobs: number): Promise<ProxiedCluster> {
  const redisUrl = new URL(REDIS_URL);
  const pgUrl = new URL(DATABASE_URL);
  const redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const pgProxy = new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
  await redisProxy.start();
  await pgProxy.start();
  const cluster = await startCluster({
    label,
    jobs,
    redisUrl: (real) => redisProxy.url(real),
    databaseUrl: (real) => pgProxy.url(real),
  });
  return {
    cluster,
    redisProxy,
    pgProxy,
    async close() {
      await cluster.close();
      await redisProxy.close();
      await pgProxy.close();
    },
  };
}

export interface OutagesResult {
  outages: OutageResult[];
  accounting: Accounting;
}

/** 2 replicas; Redis away for `redisMs`, then PostgreSQL for `postgresMs`. */
export async function runOutages(
  proxied: ProxiedCluster,
  options: { redisMs: number; postgresMs: number },
): Promise<OutagesResult> {
  const { cluster } = proxied;
  await cluster.start('a');
  await cluster.start('b');
  const from = Date.now() + 1_000;
  await sleep(3_000);
  const outages = [
    await runOutage(cluster, proxied.redisProxy, 'redis', options.redisMs),
    await runOutage(cluster, proxied.pgProxy, 'postgres', options.postgresMs),
  ];
  const end = Date.now();
  await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
  const accounting = account(
    await cluster.history(),
    cluster.counter.fires,
    cluster.jobIds,
    from,
    end - 2_000,
  );
  return { outages, accounting };
}
