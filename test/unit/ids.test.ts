import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.ts';

describe('uuidv7', () => {
  it('is a version 7 UUID whose first 48 bits are the epoch ms given', () => {
    const at = Date.parse('2026-12-02T09:00:00.123Z');
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('never repeats, also across refills of its random pool', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => uuidv7(0)));
    expect(ids.size).toBe(5_000);
  });

  it('sorts by time', () => {
    expect(uuidv7(1_000) < uuidv7(1_001)).toBe(true);
  });
});
