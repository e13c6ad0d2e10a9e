/**
 * The cron grammar of docs/cron-spec.md, checked by us before croner sees an expression: croner is
 * more lenient than cronie in places (sloppy ranges, `?` anywhere, a `+` AND marker, Quartz forms), and
 * its messages name neither the field nor the value. The result is a pattern croner reads exactly
 * the way cronie would, with the two per-expression rules (day AND/OR, fixed-time DST) made explicit.
 */
import { ValidationError } from '../errors.ts';

export interface ParsedCron {
  /** Six fields, seconds first, in a form croner reads the way cronie would. */
  pattern: string;
  /** Vixie rule: day-of-month or day-of-week starts with `*` (or `?`) => both must match. */
  domAndDow: boolean;
  /** docs/cron-spec.md: minute and hour do not start with `*` => fixed-time DST handling. */
  fixedTime: boolean;
}

type FieldName = 'second' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

interface FieldSpec {
  name: FieldName;
  min: number;
  max: number;
  /** Three-letter names, index + min = value. */
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTHS };
// 7 is Sunday too (cronie); croner maps 7 to 0 as well, but we normalize so lists dedupe.
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 7, names: DAYS };

/** Reminders of the special forms a field accepts, for error messages. */
const EXTENSIONS: Record<FieldName, string> = {
  second: '',
  minute: '',
  hour: '',
  'day-of-month': ' (or L, LW, nW)',
  month: '',
  'day-of-week': ' (or nL, n#k)',
};

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Longer input is not a schedule anyone means; it only costs parsing time. */
const MAX_EXPRESSION_LENGTH = 1000;

/** Parse and validate; throws ValidationError on `field` naming the cron field and the value. */
export function parseCronExpression(expression: string, field: string): ParsedCron {
  if (typeof expression !== 'string') throw new ValidationError(field, 'must be a string');
  const trimmed = expression.trim();
  if (trimmed === '')
    throw new ValidationError(
      field,
      'is empty: expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first)',
    );
  if (trimmed.length > MAX_EXPRESSION_LENGTH)
    throw new ValidationError(field, `is longer than ${MAX_EXPRESSION_LENGTH} characters`);

  const parts = expandAlias(trimmed, field).split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw new ValidationError(
      field,
      `"${trimmed}" has ${parts.length} fields: expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
    );
  const [secondText, minuteText, hourText, domText, monthText, dowText] =
    parts.length === 5 ? ['0', ...parts] : parts;

  const fixedTime = !minuteText!.startsWith('*') && !hourText!.startsWith('*');
  const domAndDow = isStar(domText!) || isStar(dowText!);

  const second = timeField(secondText!, SECOND, fixedTime, field);
  const minute = timeField(minuteText!, MINUTE, fixedTime, field);
  const hour = timeField(hourText!, HOUR, fixedTime, field);
  const dom = dayOfMonthField(domText!, field);
  const month = list(parseNumeric(monthText!, MONTH, field));
  const dow = dayOfWeekField(dowText!, field);
  return { pattern: [second, minute, hour, dom, month, dow].join(' '), domAndDow, fixedTime };
}

function expandAlias(text: string, field: string): string {
  if (!text.startsWith('@')) return text;
  const lower = text.toLowerCase();
  if (lower === '@reboot')
    throw new ValidationError(field, '@reboot is not supported: a service has no boot (use a date trigger)');
  const expanded = ALIASES[lower];
  if (expanded === undefined)
    throw new ValidationError(
      field,
      `unknown alias "${text}" (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)`,
    );
  return expanded;
}

function isStar(text: string): boolean {
  return text.startsWith('*') || text.startsWith('?');
}

/**
 * croner classes a job as fixed-time when its second, minute and hour fields hold no `*` and no
 * `/` (fixedTimeRule 'no-wildcard'); the spec only looks at whether minute or hour *starts* with
 * `*`. Writing fixed-time fields as explicit lists, and passing `*`-led fields through, makes
 * croner's rule give the spec's answer (e.g. `0-59/15 2 * * *` is fixed-time, as in cronie).
 */
function timeField(text: string, spec: FieldSpec, fixedTime: boolean, field: string): string {
  const values = parseNumeric(text, spec, field);
  return !fixedTime && text.startsWith('*') ? text : list(values);
}

function dayOfMonthField(text: string, field: string): string {
  if (text === '?' || text === '*') return '*';
  if (text.toUpperCase() === 'LW') return 'LW';
  const special: string[] = [];
  const plain: string[] = [];
  for (const item of splitList(text, DAY_OF_MONTH, field)) {
    const upper = item.toUpperCase();
    if (upper === 'L') special.push('L');
    else if (upper === 'LW')
      throw fieldError(field, DAY_OF_MONTH, text, 'LW must stand alone, not in a list');
    else if (/^\d+W$/.test(upper)) {
      const day = parseValue(upper.slice(0, -1), DAY_OF_MONTH, item, field);
      special.push(`${day}W`);
    } else plain.push(item);
  }
  const values = plain.length > 0 ? parseNumeric(plain.join(','), DAY_OF_MONTH, field, text) : [];
  return [...values.map(String), ...special].join(',');
}

function dayOfWeekField(text: string, field: string): string {
  if (text === '?' || text === '*') return '*';
  const special: string[] = [];
  const plain: string[] = [];
  for (const item of splitList(text, DAY_OF_WEEK, field)) {
    const last = /^([a-z]+|\d+)L$/i.exec(item);
    const nth = /^([a-z]+|\d+)#(\d+)$/i.exec(item);
    if (last) special.push(`${weekday(last[1]!, item, field)}L`);
    else if (nth) {
      const k = Number(nth[2]);
      if (!/^\d+$/.test(nth[2]!) || k < 1 || k > 5)
        throw fieldError(field, DAY_OF_WEEK, item, 'the occurrence after # must be 1-5');
      special.push(`${weekday(nth[1]!, item, field)}#${k}`);
    } else plain.push(item);
  }
  const values = plain.length > 0 ? parseNumeric(plain.join(','), DAY_OF_WEEK, field, text) : [];
  const days = [...new Set(values.map((v) => v % 7))].sort((a, b) => a - b);
  return [...days.map(String), ...special].join(',');
}

function weekday(text: string, item: string, field: string): number {
  return parseValue(text, DAY_OF_WEEK, item, field) % 7;
}

function list(values: number[]): string {
  return values.join(',');
}

function splitList(text: string, spec: FieldSpec, field: string): string[] {
  const items = text.split(',');
  if (items.some((item) => item === ''))
    throw fieldError(field, spec, text, 'has an empty list item (check the commas)');
  return items;
}

/**
 * Plain cron items: `*`, `a`, `a-b`, `*\/n`, `a-b/n`, joined by commas. Returns the sorted values.
 * `whole` is the field's full text, for messages when `text` is a part of it.
 */
function parseNumeric(text: string, spec: FieldSpec, field: string, whole = text): number[] {
  const values = new Set<number>();
  for (const item of splitList(text, spec, field)) {
    for (const value of parseItem(item, spec, field, whole)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseItem(item: string, spec: FieldSpec, field: string, whole: string): number[] {
  const slash = item.indexOf('/');
  const base = slash === -1 ? item : item.slice(0, slash);
  let step = 1;
  if (slash !== -1) {
    const stepText = item.slice(slash + 1);
    if (!/^\d+$/.test(stepText)) throw fieldError(field, spec, item, 'the step after / must be a number');
    step = Number(stepText);
    if (step < 1) throw fieldError(field, spec, item, `step ${step} must be at least 1`);
    if (step > wildcardTop(spec) - spec.min + 1)
      throw fieldError(field, spec, item, `step ${step} is larger than the field's range ${rangeText(spec)}`);
  }
  let from: number;
  let to: number;
  if (base === '*' || base === '?') {
    if (base === '?' && spec.name !== 'day-of-month' && spec.name !== 'day-of-week')
      throw fieldError(field, spec, item, '? is only allowed in day-of-month and day-of-week');
    if (base === '?' && (slash !== -1 || whole !== '?'))
      throw fieldError(field, spec, whole, '? must stand alone');
    from = spec.min;
    to = wildcardTop(spec);
  } else if (base.includes('-')) {
    const [a, b, ...rest] = base.split('-');
    if (rest.length > 0 || a === '' || b === '') throw fieldError(field, spec, item, 'not a valid range');
    from = parseValue(a!, spec, item, field);
    to = parseValue(b!, spec, item, field);
    // `sat-sun` means Saturday and Sunday (cronie): a range ending in the name sun ends at 7.
    if (spec.name === 'day-of-week' && b!.toLowerCase() === 'sun' && from > 0) to = 7;
    if (from > to)
      throw fieldError(field, spec, item, 'inverted range, the first value must not exceed the second');
  } else {
    if (slash !== -1)
      throw fieldError(
        field,
        spec,
        item,
        `a step needs * or a range before it (write "*/${step}" or "${base}-${spec.max}/${step}")`,
      );
    const value = parseValue(base, spec, item, field);
    return [value];
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

function parseValue(text: string, spec: FieldSpec, item: string, field: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max)
      throw fieldError(field, spec, item, `value ${value} is out of range ${rangeText(spec)}`);
    return value;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return index + spec.min;
  const names = spec.names ? ` or a name ${spec.names[0]}..${spec.names[spec.names.length - 1]}` : '';
  const subject = text === item ? 'is' : `"${text}" is`;
  throw fieldError(
    field,
    spec,
    item,
    `${subject} not a number ${rangeText(spec)}${names}${EXTENSIONS[spec.name]}`,
  );
}

/** `*` in day-of-week is 0-6: 7 would only repeat Sunday. */
function wildcardTop(spec: FieldSpec): number {
  return spec.name === 'day-of-week' ? 6 : spec.max;
}

function rangeText(spec: FieldSpec): string {
  return `${spec.min}-${spec.max}`;
}

function fieldError(field: string, spec: FieldSpec, value: string, reason: string): ValidationError {
  return new ValidationError(field, `${spec.name} "${value}": ${reason}`);
}
