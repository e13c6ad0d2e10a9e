/**
 * The overview's side panel on the cluster: this replica (the one that answered) and every live
 * replica from the job store's heartbeats, so a dead or missing replica shows by its absence.
 */
import { html } from 'htm/preact';
import { relative } from './format.js';

export function ThisReplica({ scheduler }) {
  const { stores } = scheduler;
  return html`<div class="replica">
    <h3>This replica</h3>
    <dl>
      <dt>Instance</dt>
      <dd class="mono">${scheduler.instance}</dd>
      <dt>Scheduler</dt>
      <dd>${scheduler.running ? 'firing' : 'not firing'} · v${scheduler.version}</dd>
      <dt>Stores</dt>
      <dd>${storesInWords(stores)}</dd>
      <dt>Default zone</dt>
      <dd>${scheduler.timezone}</dd>
    </dl>
  </div>`;
}

/** Oldest first, as the API lists them; the one that answered is marked. */
export function Replicas({ replicas, self, now }) {
  return html`<div class="replicas">
    <h3>Replicas (${replicas.length})</h3>
    ${replicas.length === 0 && html`<p class="muted">No replica is heart-beating (still starting?).</p>`}
    <ul class="list">
      ${replicas.map(
        (r) => html`<li key=${r.id} data-replica=${r.instance}>
          <span class="mono">${r.instance}</span>
          ${r.instance === self && html`<span class="badge">this one</span>`}
          <span class="muted">started ${relative(r.startedAt, now)}</span>
          <span class="muted">heartbeat expires ${relative(r.expiresAt, now)}</span>
          <span class="muted stores">${storesInWords(r.stores)}</span>
        </li>`,
      )}
    </ul>
  </div>`;
}

function storesInWords(stores) {
  return `jobs: ${stores.jobStore} · history: ${stores.executionLog} · events: ${stores.eventBus}`;
}
