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
 * Accepts only values that survive JSON unchanged: no undefined, functions, symbols, bigints,
 * NaN/Infinity, class instances or cycles. Returns the byte size of its JSON text.
 */
export function requireJson(field: string, value: unknown, maxBytes: number): JsonValue {
  checkJson(field, value, new Set());
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > maxBytes)
    throw new ValidationError(field, `is ${bytes} bytes of JSON, the limit is ${maxBytes}`);
  return value as JsonValue;
}

function checkJson(path: string, value: unknown, seen: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError(path, `is not JSON (${value})`);
    return;
  }
  if (typeof value !== 'object') throw new ValidationError(path, `is not JSON (a ${typeof value})`);
  if (seen.has(value)) throw new ValidationError(path, 'is not JSON (a circular reference)');
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkJson(`${path}[${index}]`, item, seen);
    });
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new ValidationError(path, 'is not JSON (not a plain object)');
    for (const [key, item] of Object.entries(value)) checkJson(`${path}.${key}`, item, seen);
  }
  seen.delete(value);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
