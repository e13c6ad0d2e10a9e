/**
 * A Kairos cluster as the README runs it, for the fault suite and `npm run bench:faults`: replicas
 * are child processes started like `npm start` on one Redis prefix and one PostgreSQL database of
 * their own; every job is an `http` job that POSTs to a local fire counter, so what ran is counted
 * from outside, and the history is read back from PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type ServiceProcess, startService } from '../../service/service-process.ts';
import { createTestDatabase, deleteRedisPrefix, REDIS_URL, uniquePrefix } from '../../support/services.ts';

export interface Fire {
  jobId: string;
  executionId: string;
  scheduledFor: number;
  attempt: number;
  /** When the POST arrived (ms). */
  at: number;
}

export interface FireCounter {
  url: string;
  fires: Fire[];
  close(): Promise<void>;
}

/** An HTTP server that answers 200 at once and records each fire's headers. */
export async function startFireCounter(): Promise<FireCounter> {
  const fires: Fire[] = [];
  const server: Server = createServer((request, response) => {
    const at = Date.now();
    request.resume();
    request.on('end', () => {
      fires.push({
        jobId: String(request.headers['x-kairos-job-id']),
        executionId: String(request.headers['x-kairos-execution-id']),
        scheduledFor: Date.parse(String(request.headers['x-kairos-scheduled-for'])),
        attempt: Number(request.headers['x-kairos-attempt']),
        at,
      });
      response.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/fire`,
    fires,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ClusterOptions {
  label: string;
  jobs: number;
  /** Overrides of REDIS_URL / DATABASE_URL (a proxy in front of the real server). */
  redisUrl?(real: string): string;
  databaseUrl?(real: string): string;
  env?: Record<string, string>;
}

export interface Cluster {
  replicas: Map<string, ServiceProcess>;
  counter: FireCounter;
  jobIds: string[];
  databaseUrl: string;
  prefix: string;
  start(name: string): Promise<ServiceProcess>;
  history(): Promise<HistoryRow[]>;
  close(): Promise<void>;
}

export interface HistoryRow {
  id: string;
  job_id: string;
  status: string;
  trigger_kind: string;
  scheduled_for: number;
  covers_until: number | null;
  covered_fires: number;
  attempt: number;
  instance: string;
  owner: string | null;
  started_at: number | null;
  finished_at: number | null;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const counter = await startFireCounter();
  const database = await createTestDatabase(options.label);
  const prefix = uniquePrefix(options.label).slice(0, 64);
  const dir = mkdtempSync(join(tmpdir(), 'kairos-faults-'));
  const jobIds = Array.from({ length: options.jobs }, (_, i) => `fire-${String(i).padStart(4, '0')}`);
  // Every whole second (cron with seconds): the nominal fires are simply the whole seconds.
  const jobs = jobIds.map((id) => ({
    id,
    task: 'http',
    args: { url: counter.url, method: 'POST', body: id },
    trigger: { cron: { expression: '* * * * * *' } },
    misfireGraceTimeMs: 60_000,
  }));
  const jobsFile = join(dir, 'jobs.json');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const replicas = new Map<string, ServiceProcess>();
  const env = (name: string) => ({
    REDIS_URL: options.redisUrl?.(REDIS_URL) ?? REDIS_URL,
    DATABASE_URL: options.databaseUrl?.(database.url) ?? database.url,
    KAIROS_REDIS_PREFIX: prefix,
    KAIROS_JOBS_FILE: jobsFile,
    KAIROS_INSTANCE: name,
    KAIROS_LOG_LEVEL: 'info',
    ...options.env,
  });
  return {
    replicas,
    counter,
    jobIds,
    databaseUrl: database.url,
    prefix,
    async start(name) {
      const replica = await startService('node', env(name));
      replicas.set(name, replica);
      return replica;
    },
    async history() {
      return sql<
        HistoryRow[]
      >`select id, job_id, status, trigger_kind, attempt, instance, owner, covered_fires,
  (extract(epoch from scheduled_for) * 1000)::float8 as scheduled_for,
  (extract(epoch from covers_until) * 1000)::float8 as covers_until,
  (extract(epoch from started_at) * 1000)::float8 as started_at,
  (extract(epoch from finished_at) * 1000)::float8 as finished_at
from job_executions order by job_id, scheduled_for, attempt`;
    },
    async close() {
      await Promise.all([...replicas.values()].map((r) => r.kill()));
      await counter.close();
      await sql.end();
      await database.drop();
      await deleteRedisPrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Accounting {
  /** Nominal fires (whole seconds in the window) with no terminal record, or with several. */
  problems: string[];
  /** Terminal records by status, covering records counted once per fire they cover. */
  byStatus: Record<string, number>;
  /** Per job, fires of the window that did not succeed. */
  notRun: Map<string, number>;
  /** Fires the counter saw more than once (same job, scheduled time and attempt). */
  duplicates: number;
}

const FINAL = new Set(['success', 'failed', 'timed_out', 'missed', 'skipped', 'abandoned']);

/** Checks every nominal fire of [from, to) (whole seconds) of every job against the history. */
export function account(
  rows: HistoryRow[],
  fires: Fire[],
  jobIds: string[],
  from: number,
  to: number,
): Accounting {
  const first = Math.ceil(from / 1_000) * 1_000;
  const problems: string[] = [];
  const byStatus: Record<string, number> = {};
  const notRun = new Map<string, number>();
  const records = new Map<string, Map<number, string[]>>();
  for (const id of jobIds) records.set(id, new Map());
  for (const row of rows) {
    if (row.trigger_kind !== 'scheduled' || row.attempt !== 1) continue;
    const perJob = records.get(row.job_id);
    if (!perJob) continue;
    const last = row.covers_until ?? row.scheduled_for;
    for (let t = row.scheduled_for; t <= last; t += 1_000) {
      const list = perJob.get(t) ?? [];
      list.push(row.status);
      perJob.set(t, list);
    }
  }
  for (const [jobId, perJob] of records) {
    for (let t = first; t < to; t += 1_000) {
      const statuses = perJob.get(t) ?? [];
      const final = statuses.filter((s) => FINAL.has(s));
      if (final.length !== 1 || statuses.length !== 1)
        problems.push(`${jobId}@${new Date(t).toISOString()}: ${statuses.join(',') || 'no record'}`);
      for (const status of final) byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (!final.includes('success')) notRun.set(jobId, (notRun.get(jobId) ?? 0) + 1);
    }
  }
  const seen = new Set<string>();
  let duplicates = 0;
  for (const fire of fires) {
    const key = `${fire.jobId}@${fire.scheduledFor}#${fire.attempt}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
  }
  return { problems, byStatus, notRun, duplicates };
}

/** The p-th percentile (0..100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
