/**
 * Trigger shapes as stored on a job (normalized: epoch milliseconds, defaults filled in).
 * The arithmetic lives in ./triggers/; this file only says what a trigger is.
 */
export interface TriggerWindow {
  /** No fire before this instant (epoch ms), or null. */
  startDate: number | null;
  /** No fire after this instant (epoch ms), or null. */
  endDate: number | null;
  /** Each fire is delayed by a deterministic offset in [0, jitterMs]; 0 = none. */
  jitterMs: number;
}

/**
 * What a cron trigger does at a DST change (docs/cron-spec.md): for a local time that does not
 * exist, `shift` (run at the jump) or `skip`; for one that happens twice, run in the `first`
 * pass, the `last`, or `both`.
 */
export interface DstPolicy {
  gap: 'shift' | 'skip';
  repeat: 'first' | 'last' | 'both';
}

export interface CronTrigger extends TriggerWindow {
  kind: 'cron';
  expression: string;
  /** IANA zone name. */
  timezone: string;
  /** null or absent (stored before it existed): cronie's rule, see defaultDstPolicy. */
  dst?: DstPolicy | null;
}

export interface IntervalTrigger extends TriggerWindow {
  kind: 'interval';
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  milliseconds: number;
  /** Fires are at anchor + k * period (k >= 0 when startDate is set, k >= 1 otherwise): startDate, else the creation time. */
  anchor: number;
}

export interface DateTrigger extends TriggerWindow {
  kind: 'date';
  runDate: number;
}

/** One of several schedules (APScheduler's OrTrigger): fires when any member is due, each instant once. */
export interface AnyTrigger extends TriggerWindow {
  kind: 'any';
  /** At least two; no member is itself an `any`, and members carry no jitter (jitterMs here is 0). */
  triggers: SingleTrigger[];
}

export type SingleTrigger = CronTrigger | IntervalTrigger | DateTrigger;
export type Trigger = SingleTrigger | AnyTrigger;
export type TriggerKindName = Trigger['kind'];

/** Instants accepted as input: epoch ms, ISO 8601 string, or Date. */
export type InstantInput = number | string | Date;

interface WindowInput {
  startDate?: InstantInput | null;
  endDate?: InstantInput | null;
  jitterMs?: number | null;
}

export interface CronTriggerInput extends WindowInput {
  expression: string;
  timezone?: string | null;
  /** Either part left out keeps cronie's rule for it (GraphQL spelling SHIFT, FIRST... accepted). */
  dst?: { gap?: string | null; repeat?: string | null } | null;
}

export interface IntervalTriggerInput extends WindowInput {
  weeks?: number | null;
  days?: number | null;
  hours?: number | null;
  minutes?: number | null;
  seconds?: number | null;
  milliseconds?: number | null;
}

export interface DateTriggerInput {
  runDate: InstantInput;
  jitterMs?: number | null;
}

/** Exactly one key must be set (a oneOf input). */
export interface TriggerInput {
  cron?: CronTriggerInput | null;
  interval?: IntervalTriggerInput | null;
  date?: DateTriggerInput | null;
  /** Several schedules, each a TriggerInput with one of cron, interval, date. */
  any?: TriggerInput[] | null;
}
