/**
 * A job's actions, each shown only when the viewer's scope allows it (the API refuses the rest
 * anyway): pause with a note, resume, run now (operate); reschedule with a live preview, remove
 * (admin).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { can, gql } from './api.js';
import { dateTime } from './format.js';

const PAUSE =
  'mutation MonitorPause($id: ID!, $reason: String) { pauseJob(id: $id, reason: $reason) { id } }';
const RESUME = 'mutation MonitorResume($id: ID!) { resumeJob(id: $id) { id } }';
const RUN_NOW = 'mutation MonitorRunNow($id: ID!) { runJobNow(id: $id) { id status } }';
const REMOVE = 'mutation MonitorRemove($id: ID!) { removeJob(id: $id) { id } }';
const RESCHEDULE =
  'mutation MonitorReschedule($id: ID!, $trigger: TriggerInput!) { rescheduleJob(id: $id, trigger: $trigger) { id } }';
const PREVIEW =
  'query MonitorPreview($trigger: TriggerInput!) { previewTrigger(trigger: $trigger, count: 5) }';

const DONE = { pause: 'Paused.', resume: 'Resumed.', reschedule: 'Rescheduled.', remove: 'Removed.' };

export function Actions({ job, viewer, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState(null);
  const [form, setForm] = useState(null); // 'pause' | 'reschedule' | null
  if (!can(viewer, 'OPERATE')) return null;

  const act = async (what, query, variables) => {
    setBusy(true);
    try {
      const data = await gql(query, { id: job.id, ...variables });
      setMessage({
        ok: true,
        text: what === 'run' ? `Run started (${data.runJobNow.status.toLowerCase()}).` : DONE[what],
      });
      setForm(null);
      if (what === 'remove') location.hash = '#/';
      else onChanged();
    } catch (error) {
      setMessage({ ok: false, text: error.message });
    } finally {
      setBusy(false);
    }
  };
  const admin = can(viewer, 'ADMIN');

  return html`<section class="actions" aria-label="Actions">
    <div class="buttons">
      ${
        job.paused
          ? html`<button type="button" data-action="resume" disabled=${busy} onClick=${() => act('resume', RESUME)}>Resume</button>`
          : html`<button type="button" data-action="pause" disabled=${busy} onClick=${() => setForm(form === 'pause' ? null : 'pause')}>Pause…</button>`
      }
      <button type="button" data-action="run" disabled=${busy} onClick=${() => act('run', RUN_NOW)}>Run now</button>
      ${
        admin &&
        html`<button type="button" data-action="reschedule" disabled=${busy} onClick=${() => setForm(form === 'reschedule' ? null : 'reschedule')}>
          Reschedule…
        </button>
        <button
          type="button"
          class="danger"
          data-action="remove"
          disabled=${busy}
          onClick=${() => confirm(`Remove job ${job.id}? Its history stays.`) && act('remove', REMOVE)}
        >
          Remove
        </button>`
      }
      ${message && html`<span class=${message.ok ? 'ok-text' : 'error-text'} role="status">${message.text}</span>`}
    </div>
    ${
      form === 'pause' &&
      html`<form
      class="inline-form"
      onSubmit=${(e) => {
        e.preventDefault();
        const reason = new FormData(e.currentTarget).get('reason').trim();
        act('pause', PAUSE, { reason: reason || null });
      }}
    >
      <input name="reason" placeholder="Reason (optional, shown on the job)" maxlength="500" />
      <button type="submit" data-action="confirm-pause" disabled=${busy}>Pause</button>
    </form>`
    }
    ${form === 'reschedule' && html`<${Reschedule} busy=${busy} onSubmit=${(trigger) => act('reschedule', RESCHEDULE, { trigger })} />`}
  </section>`;
}

/** The form's fields as a TriggerInput, or null when incomplete. */
function triggerInput(kind, value, timezone) {
  const text = value.trim();
  if (text === '') return null;
  if (kind === 'cron')
    return { cron: { expression: text, ...(timezone.trim() ? { timezone: timezone.trim() } : {}) } };
  if (kind === 'interval') {
    const seconds = Number(text);
    return Number.isFinite(seconds) && seconds > 0 ? { interval: { seconds } } : null;
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : { date: { runDate: date.toISOString() } };
}

function Reschedule({ busy, onSubmit }) {
  const [kind, setKind] = useState('cron');
  const [value, setValue] = useState('');
  const [timezone, setTimezone] = useState('');
  const [preview, setPreview] = useState({ times: [], error: null });
  const trigger = triggerInput(kind, value, timezone);
  const key = JSON.stringify(trigger);

  // Keyed on `key`, the trigger's JSON: `trigger` is a new object on every render.
  useEffect(() => {
    if (trigger === null) {
      setPreview({ times: [], error: null });
      return;
    }
    let current = true;
    // Typing should not send a query per key: wait for a pause of 250 ms.
    const timer = setTimeout(() => {
      gql(PREVIEW, { trigger }).then(
        (data) => current && setPreview({ times: data.previewTrigger, error: null }),
        (error) => current && setPreview({ times: [], error: error.message }),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key]);

  return html`<form
    class="inline-form reschedule"
    onSubmit=${(e) => {
      e.preventDefault();
      if (trigger && !preview.error) onSubmit(trigger);
    }}
  >
    <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)} aria-label="Trigger kind">
      <option value="cron">cron</option>
      <option value="interval">every N seconds</option>
      <option value="date">once, at</option>
    </select>
    <input
      value=${value}
      type=${kind === 'date' ? 'datetime-local' : 'text'}
      placeholder=${kind === 'cron' ? '0 9 * * 1-5' : kind === 'interval' ? '900' : ''}
      aria-label="Trigger"
      onInput=${(e) => setValue(e.currentTarget.value)}
    />
    ${
      kind === 'cron' &&
      html`<input value=${timezone} placeholder="Time zone (default: the service's)" aria-label="Time zone" onInput=${(e) => setTimezone(e.currentTarget.value)} />`
    }
    <button type="submit" disabled=${busy || !trigger || preview.error !== null}>Reschedule</button>
    <div class="preview" aria-live="polite">
      ${
        preview.error
          ? html`<span class="error-text">${preview.error}</span>`
          : preview.times.length > 0 &&
            html`<span class="muted">Next (your time):</span> ${preview.times.map((t) => html`<span key=${t} class="pill">${dateTime(t)}</span>`)}`
      }
    </div>
  </form>`;
}
