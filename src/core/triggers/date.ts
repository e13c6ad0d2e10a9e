import type { DateTrigger } from '../trigger.ts';

/** A date trigger fires once, at runDate; after that it has no next fire. */
export function nextDateTime(trigger: DateTrigger, after: number): number | null {
  return trigger.runDate > after ? trigger.runDate : null;
}
