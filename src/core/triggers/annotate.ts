/**
 * Fire times as previews show them (previewTrigger, Job.upcoming): each with how a DST change
 * moved it, so an operator sees the 02:30 that runs at 03:00 before it does.
 */
import type { Trigger } from '../trigger.ts';
import { type DstNote, dstNote } from './dst.ts';

export interface PreviewRun {
  at: number;
  /** null: the fire is at its local time, which happens once that day. */
  dstNote: DstNote | null;
}

export function annotateRuns(trigger: Trigger, times: number[]): PreviewRun[] {
  return times.map((at) => ({
    at,
    dstNote: trigger.kind === 'cron' ? dstNote(trigger.expression, trigger.timezone, at) : null,
  }));
}
