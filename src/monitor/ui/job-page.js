/** One job: its definition, upcoming runs, lateness and duration chart, actions and history. */
import { html } from 'htm/preact';
import { Actions } from './actions.js';
import { gql, TRIGGER_FIELDS, useLoad } from './api.js';
import { Chart } from './chart.js';
import {
  dateTime,
  duration,
  jobState,
  latenessMs,
  relative,
  triggerInWords,
  triggerSource,
} from './format.js';
import { History } from './history.js';
import { PausedBadge, StatusBadge } from './jobs-table.js';

export const JOB = `query MonitorJob($id: ID!) {
  job(id: $id) {
    id name task args paused pauseReason pausedAt nextRunTime createdAt updatedAt version
    coalesce maxInstances misfireGraceTimeMs timeoutMs
    retry { attempts backoffMs factor maxBackoffMs jitter }
    trigger { ${TRIGGER_FIELDS} }
    lastExecution { status finishedAt }
    upcoming(count: 10)
  }
  executions(jobId: $id, first: 200) {
    edges { node { status scheduledFor dueAt startedAt durationMs } }
  }
}`;

async function loadJob(id) {
  const data = await gql(JOB, { id });
  return { job: data.job, recent: data.executions.edges.map((e) => e.node) };
}

/** Oldest first, one point per execution that started: lateness and duration in ms. */
function timings(executions) {
  const ran = executions.filter((e) => e.startedAt).reverse();
  return [
    ran.map((e) => Date.parse(e.scheduledFor) / 1000),
    ran.map((e) => Math.max(0, latenessMs(e))),
    ran.map((e) => e.durationMs),
  ];
}

export function JobPage({ id, viewer, refresh, now }) {
  const { data, error, reload } = useLoad(() => loadJob(id), [id, refresh]);
  if (!data) return html`<p class=${error ? 'error' : 'loading'}>${error ? error.message : 'Loading…'}</p>`;
  const { job, recent } = data;
  if (!job) {
    return html`<div class="panel">
      <p>No job <code>${id}</code> (it may have been removed; its history stays below).</p>
      <${History} jobId=${id} refresh=${refresh} />
    </div>`;
  }
  const state = jobState(job);
  return html`<div class="job-page" data-job-page=${job.id}>
    <p class="crumbs"><a href="#/">Overview</a> / ${job.id}</p>
    <header class="job-head">
      <div>
        <h1>${job.name}</h1>
        <div class="muted mono">${job.id} · ${job.task}</div>
      </div>
      ${
        job.paused
          ? html`<${PausedBadge} job=${job} />`
          : html`<span class=${`badge state state-${state}`} data-state=${state}>${state}</span>`
      }
    </header>
    ${error && html`<p class="error">Refresh failed: ${error.message}</p>`}
    <${Actions} job=${job} viewer=${viewer} onChanged=${reload} />
    <div class="grid-2">
      <section class="panel">
        <h3>Definition</h3>
        <dl class="definition">
          <dt>Trigger</dt>
          <dd data-field="trigger">${triggerInWords(job.trigger)}<div class="muted mono">${triggerSource(job.trigger)}</div></dd>
          <dt>Next run</dt>
          <dd>${job.nextRunTime ? `${relative(job.nextRunTime, now)} (${dateTime(job.nextRunTime)})` : '—'}</dd>
          <dt>Last status</dt>
          <dd>${job.lastExecution ? html`<${StatusBadge} status=${job.lastExecution.status} />` : 'never run'}</dd>
          <dt>Retry</dt>
          <dd>
            ${
              job.retry.attempts === 1
                ? 'no retry'
                : `${job.retry.attempts} attempts, backoff ${duration(job.retry.backoffMs)} × ${job.retry.factor}, at most ${duration(job.retry.maxBackoffMs)}${job.retry.jitter ? ', jittered' : ''}`
            }
          </dd>
          <dt>Timeout</dt>
          <dd>${job.timeoutMs === null ? 'none' : duration(job.timeoutMs)}</dd>
          <dt>Misfire grace</dt>
          <dd>${job.misfireGraceTimeMs === null ? 'run however late' : duration(job.misfireGraceTimeMs)}</dd>
          <dt>Instances</dt>
          <dd>at most ${job.maxInstances} at once${job.coalesce ? ', missed fires coalesced' : ''}</dd>
          <dt>Changed</dt>
          <dd>${dateTime(job.updatedAt)} (version ${job.version}), created ${dateTime(job.createdAt)}</dd>
          <dt>Args</dt>
          <dd><pre class="args">${JSON.stringify(job.args, null, 2)}</pre></dd>
        </dl>
      </section>
      <section class="panel side">
        <h3>Upcoming runs</h3>
        ${job.upcoming.length === 0 && html`<p class="muted">None${job.paused ? ' while paused' : ''}.</p>`}
        <ol class="upcoming">
          ${job.upcoming.map(
            (at) => html`<li key=${at}>${dateTime(at)} <span class="muted">${relative(at, now)}</span></li>`,
          )}
        </ol>
      </section>
    </div>
    <section class="panel">
      <${Chart}
        title=${`Lateness and duration, last ${recent.length} executions`}
        series=${[
          { label: 'lateness', color: '#f59e0b', scale: 'ms' },
          { label: 'duration', color: '#8b5cf6', scale: 'ms' },
        ]}
        data=${timings(recent)}
      />
    </section>
    <${History} jobId=${job.id} refresh=${refresh} />
  </div>`;
}
