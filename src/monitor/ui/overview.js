/**
 * The overview: jobs by state, fires per minute and lateness p99 over the last hour, failures,
 * running now, this replica and the live replicas with their stores; the jobs table below. Built
 * from the executions connection (since = an hour ago), so it needs nothing beyond the public API.
 */
import { html } from 'htm/preact';
import { collect, gql, TRIGGER_FIELDS, useLoad } from './api.js';
import { Chart } from './chart.js';
import { FAILED_STATUSES, jobState, latenessMs, percentile, relative, time } from './format.js';
import { JobsTable, StatusBadge } from './jobs-table.js';
import { Replicas, ThisReplica } from './replicas.js';

const HOUR_MS = 3600e3;
/** A busy hour is sampled: the chart reads at most this many executions (newest first). */
const HOUR_LIMIT = 2000;

export const JOBS = `query MonitorJobs($after: String) {
  jobs(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name task paused pauseReason nextRunTime
      trigger { ${TRIGGER_FIELDS} }
      lastExecution { status finishedAt }
      executions(first: 20) { edges { node { id status scheduledFor } } }
    } }
  }
}`;

export const SUMMARY = `query MonitorSummary($since: DateTime!) {
  scheduler { instance running version timezone stores { jobStore executionLog eventBus } }
  replicas { id instance startedAt expiresAt stores { jobStore executionLog eventBus } }
  running: executions(status: [RUNNING], first: 20) {
    edges { node { id jobId jobName scheduledFor startedAt } }
  }
  failures: executions(since: $since, status: [FAILED, TIMED_OUT, ABANDONED, MISSED], first: 5) {
    edges { node { id jobId jobName status scheduledFor error { message } } }
  }
}`;

export const HOUR = `query MonitorHour($since: DateTime!, $after: String) {
  executions(since: $since, first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { status scheduledFor dueAt startedAt } }
  }
}`;

async function loadJobs() {
  const { rows } = await collect(async (after) => (await gql(JOBS, { after })).jobs, 1000);
  return rows;
}

async function loadOverview() {
  const since = new Date(Date.now() - HOUR_MS).toISOString();
  const [jobs, summary, hour] = await Promise.all([
    loadJobs(),
    gql(SUMMARY, { since }),
    collect(async (after) => (await gql(HOUR, { since, after })).executions, HOUR_LIMIT),
  ]);
  return { jobs, summary, hour, since: Date.parse(since) };
}

/** Per minute of the last hour: fires (by scheduled time) and the p99 of their lateness. */
function perMinute(executions, since) {
  const minutes = 60;
  const start = Math.floor(since / 60e3) * 60e3;
  const xs = Array.from({ length: minutes + 1 }, (_, i) => (start + i * 60e3) / 1000);
  const fires = xs.map(() => 0);
  const lateness = xs.map(() => []);
  for (const execution of executions) {
    if (execution.status === 'PENDING') continue;
    const index = Math.floor((Date.parse(execution.scheduledFor) - start) / 60e3);
    if (index < 0 || index > minutes) continue;
    fires[index]++;
    const late = latenessMs(execution);
    if (late !== null) lateness[index].push(Math.max(0, late));
  }
  return [xs, fires, lateness.map((values) => percentile(values, 0.99))];
}

export function Overview({ refresh, now }) {
  const { data, error } = useLoad(loadOverview, [refresh]);
  if (!data) return html`<p class=${error ? 'error' : 'loading'}>${error ? error.message : 'Loading…'}</p>`;
  const { jobs, summary, hour, since } = data;
  const counts = { active: 0, failing: 0, paused: 0, finished: 0 };
  for (const job of jobs) counts[jobState(job)]++;
  const running = summary.running.edges.map((e) => e.node);
  const failures = summary.failures.edges.map((e) => e.node);
  const hourFailures = hour.rows.filter((e) => FAILED_STATUSES.includes(e.status)).length;
  const chart = perMinute(hour.rows, since);

  return html`<div class="overview">
    ${error && html`<p class="error">Refresh failed: ${error.message}</p>`}
    <div class="cards">
      <${Card} label="Jobs" value=${jobs.length} />
      <${Card} label="Active" value=${counts.active} tone="ok" />
      <${Card} label="Failing" value=${counts.failing} tone=${counts.failing ? 'bad' : ''} />
      <${Card} label="Paused" value=${counts.paused} tone=${counts.paused ? 'warn' : ''} />
      <${Card} label="Finished" value=${counts.finished} />
      <${Card} label="Running now" value=${running.length} tone=${running.length ? 'run' : ''} />
      <${Card} label="Failures, last hour" value=${hourFailures} tone=${hourFailures ? 'bad' : ''} />
    </div>
    <div class="grid-2">
      <section class="panel">
        <${Chart}
          title=${`Fires per minute and lateness p99, last hour${hour.complete ? '' : ` (newest ${HOUR_LIMIT})`}`}
          series=${[
            { label: 'fires', color: '#3b82f6', scale: 'y', bars: true },
            { label: 'lateness p99', color: '#f59e0b', scale: 'ms' },
          ]}
          data=${chart}
          yLabel="fires"
          msLabel="lateness (ms)"
        />
      </section>
      <section class="panel side">
        <h3>Running now</h3>
        ${running.length === 0 && html`<p class="muted">Nothing is running.</p>`}
        <ul class="list">
          ${running.map(
            (r) => html`<li key=${r.id}>
              <a href=${`#/jobs/${encodeURIComponent(r.jobId)}`}>${r.jobName}</a>
              <span class="muted">started ${relative(r.startedAt, now)}</span>
            </li>`,
          )}
        </ul>
        <h3>Recent failures</h3>
        ${failures.length === 0 && html`<p class="muted">No failure in the last hour.</p>`}
        <ul class="list">
          ${failures.map(
            (f) => html`<li key=${f.id}>
              <${StatusBadge} status=${f.status} />
              <a href=${`#/jobs/${encodeURIComponent(f.jobId)}`}>${f.jobName}</a>
              <span class="muted">${time(f.scheduledFor)}</span>
              ${f.error && html`<div class="error-text">${f.error.message}</div>`}
            </li>`,
          )}
        </ul>
        <${ThisReplica} scheduler=${summary.scheduler} />
        <${Replicas} replicas=${summary.replicas} self=${summary.scheduler.instance} now=${now} />
      </section>
    </div>
    <${JobsTable} jobs=${jobs} now=${now} />
  </div>`;
}

function Card({ label, value, tone = '' }) {
  return html`<div class=${`card ${tone}`} data-card=${label}>
    <div class="card-value">${value}</div>
    <div class="card-label">${label}</div>
  </div>`;
}
