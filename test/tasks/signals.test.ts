import { describe, expect, it } from 'vitest';
import { combineManually, combineSignals } from '../../src/tasks/signals.ts';

// Both paths: AbortSignal.any (Node 20.3+, Bun, Deno) and the fallback for runtimes without it.
describe.each([
  ['combineSignals', combineSignals],
  ['combineManually', combineManually],
])('%s', (_name, combine) => {
  it('aborts when any source aborts, with that reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const { signal, dispose } = combine([a.signal, b.signal]);
    expect(signal.aborted).toBe(false);
    const reason = new Error('b gave up');
    b.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    a.abort(new Error('later'));
    expect(signal.reason).toBe(reason);
    dispose();
  });

  it('is aborted at once when a source already is', () => {
    const a = new AbortController();
    a.abort('early');
    const { signal } = combine([new AbortController().signal, a.signal]);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('early');
  });
});

describe('combineManually', () => {
  it('stops following its sources once disposed', () => {
    const a = new AbortController();
    const { signal, dispose } = combineManually([a.signal, new AbortController().signal]);
    dispose();
    a.abort();
    expect(signal.aborted).toBe(false);
  });
});
