/**
 * The live feed of execution events. Each event carries its stream's sequence number: a jump
 * means events were missed (a reconnect, a slow tab), and the feed says so in a gap row rather
 * than pretending the list is complete.
 */
import { html } from 'htm/preact';
import { duration, statusLabel, time } from './format.js';

export const FEED_QUERY = `subscription MonitorFeed {
  executionEvents {
    type sequence at
    execution { id jobId jobName status scheduledFor durationMs attempt error { message } }
  }
}`;

const KEEP = 100;

/** The feed after `event` arrived: newest first, with a gap row when sequence numbers jumped. */
export function addEvent(feed, event, receivedAt) {
  const rows = [];
  if (feed.lastSequence !== null && event.sequence > feed.lastSequence + 1) {
    rows.push({ gap: event.sequence - feed.lastSequence - 1, key: `gap-${event.sequence}` });
  }
  rows.push({ event, receivedAt, key: `${event.sequence}-${event.execution.id}-${event.type}` });
  return {
    lastSequence: Math.max(feed.lastSequence ?? 0, event.sequence),
    rows: [...rows.reverse(), ...feed.rows].slice(0, KEEP),
  };
}

export const EMPTY_FEED = { lastSequence: null, rows: [] };

const STATUS_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unauthenticated: 'needs a token',
};

export function Feed({ feed, status }) {
  return html`<aside class="panel feed" aria-label="Live feed">
    <header class="panel-head">
      <h2>Live</h2>
      <span class=${`conn conn-${status}`} data-connection=${status}>${STATUS_TEXT[status] ?? status}</span>
    </header>
    ${feed.rows.length === 0 && html`<p class="muted">Execution events appear here as they happen.</p>`}
    <ol class="events">
      ${feed.rows.map((row) =>
        row.gap
          ? html`<li key=${row.key} class="gap" data-gap=${row.gap}>
              ${row.gap} event${row.gap === 1 ? '' : 's'} missed
            </li>`
          : html`<${EventRow} key=${row.key} event=${row.event} receivedAt=${row.receivedAt} />`,
      )}
    </ol>
  </aside>`;
}

function EventRow({ event, receivedAt }) {
  const { execution } = event;
  return html`<li
    class="event"
    data-event=${event.type}
    data-job=${execution.jobId}
    data-scheduled-for=${execution.scheduledFor}
    data-received-at=${receivedAt}
  >
    <span class="muted mono">${time(event.at)}</span>
    <span class=${`badge status-${execution.status}`}>${statusLabel(event.type)}</span>
    <a href=${`#/jobs/${encodeURIComponent(execution.jobId)}`}>${execution.jobName}</a>
    ${execution.attempt > 1 && html`<span class="muted">attempt ${execution.attempt}</span>`}
    ${execution.durationMs !== null && html`<span class="muted">${duration(execution.durationMs)}</span>`}
    ${execution.error && html`<div class="error-text">${execution.error.message}</div>`}
  </li>`;
}
