import { ValidationError } from './errors.ts';
import type { JsonValue } from './json.ts';

/** setTimeout's ceiling: longer delays overflow and fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

export function requireInteger(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ValidationError(field, `must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new ValidationError(field, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function requireNumber(field: string, value: unknown, min: number, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(field, `must be a finite number, got ${describe(value)}`);
  }
  if (value < min || value > max)
    throw new ValidationError(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValidationError(field, `must be true or false, got ${describe(value)}`);
  return value;
}

export function requireString(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string, got ${describe(value)}`);
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new ValidationError(field, 'must not be empty');
  if (trimmed.length > maxLength) throw new ValidationError(field, `must be at most ${maxLength} characters`);
  return trimmed;
}

const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,200}$/;

export function requireId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new ValidationError(
      field,
      `must be 1-200 characters of letters, digits and _ . : @ -, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * The deepest nesting of objects and arrays accepted in JSON input (a job's `args`, the GraphQL
 * JSON scalar): `{}` is one level, `{"a": []}` two. Real task arguments need a handful; the limit
 * is there so that a hostile 10,000-level value is refused with a clear error instead of
 * overflowing the stack of whatever walks it next (JSON.stringify, a store's codec, a copy).
 * Every check below walks values with an explicit stack, never by recursion.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Accepts only values that survive JSON unchanged: no undefined, functions, symbols, bigints,
 * NaN/Infinity, class instances or cycles, nested at most MAX_JSON_DEPTH levels and at most
 * `maxBytes` of JSON text.
 */
export function requireJson(field: string, value: unknown, maxBytes: number): JsonValue {
  checkJson(field, value);
  // Safe to stringify now: the value is bounded in depth and has no cycles.
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > maxBytes)
    throw new ValidationError(field, `is ${bytes} bytes of JSON, the limit is ${maxBytes}`);
  return value as JsonValue;
}

/** What a client is told when JSON input is nested deeper than MAX_JSON_DEPTH. */
export const JSON_DEPTH_LIMIT = `JSON input may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`;

/** Whether `value` nests objects and arrays deeper than `maxDepth`. A cycle counts as too deep. */
export function exceedsJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (typeof frame.value !== 'object' || frame.value === null) continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) return true;
    for (const item of Object.values(frame.value)) stack.push({ value: item, depth });
  }
  return false;
}

function children(value: object): [string | number, unknown][] {
  if (!Array.isArray(value)) return Object.entries(value);
  const items: [number, unknown][] = [];
  // A hole is skipped, as forEach did (JSON.stringify writes it as null).
  for (let index = 0; index < value.length; index++) if (index in value) items.push([index, value[index]]);
  return items;
}

function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

type JsonFrame = { value: unknown; depth: number; path: string } | { leave: object };

/** Depth-first in document order, like the recursive walk it replaces, so the first problem is reported. */
function checkJson(field: string, root: unknown): void {
  // The objects on the path from the root to the current value: meeting one again is a cycle.
  const ancestors = new Set<object>();
  const stack: JsonFrame[] = [{ value: root, depth: 0, path: field }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if ('leave' in frame) {
      ancestors.delete(frame.leave);
      continue;
    }
    const { value, path } = frame;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ValidationError(path, `is not JSON (${value})`);
      continue;
    }
    if (typeof value !== 'object') throw new ValidationError(path, `is not JSON (a ${typeof value})`);
    if (ancestors.has(value)) throw new ValidationError(path, 'is not JSON (a circular reference)');
    if (!Array.isArray(value)) {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        throw new ValidationError(path, 'is not JSON (not a plain object)');
    }
    const depth = frame.depth + 1;
    if (depth > MAX_JSON_DEPTH) throw new ValidationError(path, `is nested too deeply: ${JSON_DEPTH_LIMIT}`);
    ancestors.add(value);
    stack.push({ leave: value });
    const items = children(value);
    // Pushed last to first, so they are checked first to last.
    for (const [key, item] of items.reverse()) stack.push({ value: item, depth, path: childPath(path, key) });
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
