/** A job's history, newest first: pages of 20 by cursor, filtered by status and time range. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql, useLoad } from './api.js';
import { dateTime, duration, latenessMs, statusLabel } from './format.js';
import { StatusBadge } from './jobs-table.js';

const PAGE = 20;
const STATUSES = ['SUCCESS', 'FAILED', 'TIMED_OUT', 'RUNNING', 'PENDING', 'MISSED', 'SKIPPED', 'ABANDONED'];

export const HISTORY = `query MonitorHistory($jobId: ID!, $status: [ExecutionStatus!], $since: DateTime, $until: DateTime, $after: String) {
  executions(jobId: $jobId, status: $status, since: $since, until: $until, first: ${PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id status attempt triggerKind scheduledFor dueAt startedAt durationMs instance coveredFires
      error { message }
    } }
  }
}`;

/** A datetime-local value (the browser's zone) as an ISO instant, or null when empty. */
function instant(local) {
  return local ? new Date(local).toISOString() : null;
}

export function History({ jobId, refresh }) {
  const [statuses, setStatuses] = useState([]);
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  // Cursors of the pages before this one: `after` is the last, [] is the first page.
  const [cursors, setCursors] = useState([]);
  const after = cursors.at(-1) ?? null;
  const filterKey = `${statuses.join()}|${since}|${until}`;
  const { data, error } = useLoad(
    () =>
      gql(HISTORY, {
        jobId,
        status: statuses.length ? statuses : null,
        since: instant(since),
        until: instant(until),
        after,
      }),
    [jobId, filterKey, after, refresh],
  );
  const restart = (change) => {
    change();
    setCursors([]);
  };
  const toggle = (status) =>
    restart(() =>
      setStatuses(statuses.includes(status) ? statuses.filter((s) => s !== status) : [...statuses, status]),
    );
  const page = data?.executions;
  const rows = page?.edges.map((e) => e.node) ?? [];

  return html`<section class="panel history">
    <header class="panel-head">
      <h2>History</h2>
      <div class="filters">
        <div class="chips" role="group" aria-label="Filter by status">
          ${STATUSES.map(
            (s) =>
              html`<button type="button" class=${`chip ${statuses.includes(s) ? 'on' : ''}`} onClick=${() => toggle(s)}>
                ${statusLabel(s)}
              </button>`,
          )}
        </div>
        <label>from <input type="datetime-local" value=${since} onChange=${(e) => restart(() => setSince(e.currentTarget.value))} /></label>
        <label>to <input type="datetime-local" value=${until} onChange=${(e) => restart(() => setUntil(e.currentTarget.value))} /></label>
      </div>
    </header>
    ${error && html`<p class="error">${error.message}</p>`}
    <table class="executions">
      <thead>
        <tr>
          <th>Scheduled for</th>
          <th>Status</th>
          <th>Kind</th>
          <th>Lateness</th>
          <th>Duration</th>
          <th>Replica</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr key=${r.id} data-execution=${r.id}>
            <td>${dateTime(r.scheduledFor)}${r.coveredFires > 1 ? html` <span class="muted">(${r.coveredFires} fires)</span>` : ''}</td>
            <td><${StatusBadge} status=${r.status} /></td>
            <td class="muted">${r.triggerKind.toLowerCase()}${r.attempt > 1 ? ` #${r.attempt}` : ''}</td>
            <td>${duration(latenessMs(r))}</td>
            <td>${duration(r.durationMs)}</td>
            <td class="muted mono">${r.instance}</td>
            <td class="error-text">${r.error?.message ?? ''}</td>
          </tr>`,
        )}
        ${page && rows.length === 0 && html`<tr><td colspan="7" class="empty">No execution matches.</td></tr>`}
      </tbody>
    </table>
    <footer class="pager">
      <button type="button" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>← Newer</button>
      <span class="muted">page ${cursors.length + 1}</span>
      <button
        type="button"
        disabled=${!page?.pageInfo.hasNextPage}
        onClick=${() => setCursors([...cursors, page.pageInfo.endCursor])}
      >
        Older →
      </button>
    </footer>
  </section>`;
}
