/** Words and numbers for people: triggers, times, durations, statuses, percentiles. */
import 'cronstrue';

// cronstrue ships only a UMD build; loaded as a module it registers itself on globalThis.
const { cronstrue } = globalThis;

const UNITS = [
  ['week', 7 * 24 * 3600e3],
  ['day', 24 * 3600e3],
  ['hour', 3600e3],
  ['minute', 60e3],
  ['second', 1e3],
  ['millisecond', 1],
];

function intervalMs(t) {
  return (
    (t.weeks ?? 0) * UNITS[0][1] +
    (t.days ?? 0) * UNITS[1][1] +
    (t.hours ?? 0) * UNITS[2][1] +
    (t.minutes ?? 0) * UNITS[3][1] +
    (t.seconds ?? 0) * UNITS[4][1] +
    (t.milliseconds ?? 0)
  );
}

/** "every 15 minutes", "every 1 hour 30 minutes": the largest units that add up exactly. */
export function periodInWords(ms) {
  const parts = [];
  let rest = ms;
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
      rest -= count * size;
    }
  }
  if (parts.length === 1 && parts[0].startsWith('1 ')) return `every ${parts[0].slice(2)}`;
  return `every ${parts.join(' ')}`;
}

/** A trigger in words: "every 15 minutes", "at 09:00, Monday through Friday, Europe/Paris". */
export function triggerInWords(trigger) {
  switch (trigger.__typename) {
    case 'CronTrigger': {
      let words;
      try {
        words = cronstrue.toString(trigger.expression, { use24HourTimeFormat: true });
        words = words.charAt(0).toLowerCase() + words.slice(1);
      } catch {
        words = trigger.expression;
      }
      return `${words}, ${trigger.timezone}`;
    }
    case 'IntervalTrigger':
      return periodInWords(intervalMs(trigger));
    case 'DateTrigger':
      return `once, ${dateTime(trigger.runDate)}`;
    case 'AnyTrigger':
      return trigger.triggers.map(triggerInWords).join('; or ');
    default:
      return '—';
  }
}

/** The trigger as typed: the cron expression, the period's parts, the date. */
export function triggerSource(trigger) {
  if (trigger.__typename === 'CronTrigger') return `cron ${trigger.expression} (${trigger.timezone})`;
  if (trigger.__typename === 'DateTrigger') return `date ${trigger.runDate}`;
  if (trigger.__typename === 'AnyTrigger') return `any of ${trigger.triggers.map(triggerSource).join(', ')}`;
  const parts = UNITS.filter(([unit]) => trigger[`${unit}s`]).map(([unit]) => {
    const count = trigger[`${unit}s`];
    return `${count} ${unit}${count === 1 ? '' : 's'}`;
  });
  return `interval ${parts.join(' ')}`;
}

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'always', style: 'short' });

/** "in 12 sec.", "3 min. ago", relative to `now`. */
export function relative(iso, now = Date.now()) {
  if (!iso) return '—';
  const delta = Date.parse(iso) - now;
  const abs = Math.abs(delta);
  if (abs < 1000) return delta >= 0 ? 'now' : 'just now';
  for (const [unit, size] of UNITS.slice(0, 5)) {
    if (abs >= size || unit === 'second') return relativeFormat.format(Math.trunc(delta / size), unit);
  }
  return '—';
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

export function time(iso) {
  return iso ? timeFormat.format(new Date(iso)) : '—';
}

/** "850 ms", "2.3 s", "4 min 3 s". */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60e3) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round((ms % 60e3) / 1000);
  return `${Math.floor(ms / 60e3)} min${seconds ? ` ${seconds} s` : ''}`;
}

/** How late an execution started: startedAt - dueAt (a retry's backoff end, else the fire's due time). */
export function latenessMs(execution) {
  if (!execution.startedAt) return null;
  return Date.parse(execution.startedAt) - Date.parse(execution.dueAt ?? execution.scheduledFor);
}

/** The p-th percentile (0..1) by nearest rank; null for no values. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export const FAILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABANDONED', 'MISSED'];

/** active, paused, finished, failing: what the jobs table and the overview count. */
export function jobState(job) {
  if (job.paused) return 'paused';
  if (!job.nextRunTime) return 'finished';
  if (job.lastExecution && FAILED_STATUSES.includes(job.lastExecution.status)) return 'failing';
  return 'active';
}

export function statusLabel(status) {
  return status.toLowerCase().replace('_', ' ');
}
