/** The jobs table: trigger in words, next run, last status, the last 20 runs, filter and search. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { dateTime, jobState, relative, statusLabel, time, triggerInWords } from './format.js';

const STATES = ['all', 'active', 'failing', 'paused', 'finished'];

export function JobsTable({ jobs, now }) {
  const [state, setState] = useState('all');
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  const shown = jobs.filter(
    (job) =>
      (state === 'all' || jobState(job) === state) &&
      (needle === '' || [job.id, job.name, job.task].some((s) => s.toLowerCase().includes(needle))),
  );
  return html`<section class="panel">
    <header class="panel-head">
      <h2>Jobs</h2>
      <div class="filters">
        <div class="segmented" role="group" aria-label="Filter by state">
          ${STATES.map(
            (s) =>
              html`<button type="button" class=${s === state ? 'on' : ''} onClick=${() => setState(s)}>${s}</button>`,
          )}
        </div>
        <input
          type="search"
          placeholder="Search id, name, task"
          aria-label="Search jobs"
          value=${search}
          onInput=${(e) => setSearch(e.currentTarget.value)}
        />
      </div>
    </header>
    <table class="jobs">
      <thead>
        <tr>
          <th>Job</th>
          <th>Trigger</th>
          <th>Next run</th>
          <th>Last status</th>
          <th>Last 20 runs</th>
        </tr>
      </thead>
      <tbody>
        ${shown.map((job) => html`<${JobRow} key=${job.id} job=${job} now=${now} />`)}
        ${
          shown.length === 0 &&
          html`<tr>
          <td colspan="5" class="empty">${jobs.length === 0 ? 'No jobs yet.' : 'No job matches.'}</td>
        </tr>`
        }
      </tbody>
    </table>
  </section>`;
}

function JobRow({ job, now }) {
  const runs = job.executions.edges.map((e) => e.node);
  return html`<tr data-job=${job.id} data-state=${jobState(job)}>
    <td>
      <a href=${`#/jobs/${encodeURIComponent(job.id)}`} class="job-link">${job.name}</a>
      ${job.name !== job.id && html`<div class="muted mono">${job.id}</div>`}
      <div class="muted">${job.task}</div>
    </td>
    <td class="trigger">${triggerInWords(job.trigger)}</td>
    <td class="next-run" title=${dateTime(job.nextRunTime)}>
      ${job.paused ? html`<${PausedBadge} job=${job} />` : job.nextRunTime ? relative(job.nextRunTime, now) : 'finished'}
    </td>
    <td>${job.lastExecution ? html`<${StatusBadge} status=${job.lastExecution.status} />` : html`<span class="muted">never run</span>`}</td>
    <td><${RunStrip} runs=${runs} /></td>
  </tr>`;
}

export function PausedBadge({ job }) {
  return html`<span class="badge paused" data-state="paused" title=${job.pauseReason ?? ''}>
    paused${job.pauseReason ? html`: <span class="reason">${job.pauseReason}</span>` : ''}
  </span>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`}>${statusLabel(status)}</span>`;
}

/** Oldest left, newest right, one cell per execution; empty cells when there are fewer than 20. */
function RunStrip({ runs, size = 20 }) {
  const cells = [...runs].reverse();
  const padding = Math.max(0, size - cells.length);
  return html`<div class="strip" aria-label=${`last ${cells.length} runs`}>
    ${Array.from({ length: padding }, (_, i) => html`<span key=${`pad${i}`} class="cell none"></span>`)}
    ${cells.map(
      (run) =>
        html`<span
          key=${run.id}
          class=${`cell status-${run.status}`}
          title=${`${time(run.scheduledFor)} ${statusLabel(run.status)}`}
        ></span>`,
    )}
  </div>`;
}
