/** The Redis store's cache of decoded jobs for list(): reuse only on identical stored strings. */
import { describe, expect, it } from 'vitest';
import { DecodedJobs } from '../../src/adapters/redis/decoded-jobs.ts';
import { decodeJob, encodeDefinition } from '../../src/adapters/redis/job-codec.ts';
import { makeJob } from '../contract/job-store.contract.ts';

const json = encodeDefinition(makeJob('a'));

describe('DecodedJobs', () => {
  it('returns the same frozen job while the stored strings are unchanged', () => {
    const cache = new DecodedJobs(1_000_000);
    const first = cache.decode('a', json, '5:7', '2', false);
    expect(first).toEqual(decodeJob(json, '5:7', '2', false));
    expect(Object.isFrozen(first) && Object.isFrozen(first.args) && Object.isFrozen(first.trigger)).toBe(
      true,
    );
    // Equal content read again (a new string from Redis), not the same string object.
    expect(cache.decode('a', [...json].join(''), '5:7', '2', false)).toBe(first);
  });

  it('decodes again when any stored string differs', () => {
    const cache = new DecodedJobs(1_000_000);
    const first = cache.decode('a', json, '5:7', '2', false);
    const renamed = encodeDefinition(makeJob('a', { name: 'renamed' }));
    expect(cache.decode('a', renamed, '5:7', '2', false).name).toBe('renamed');
    expect(cache.decode('a', json, '9:9', '2', false)).toMatchObject({ nextRunTime: 9, dueAt: 9 });
    const versioned = encodeDefinition(makeJob('a', { version: 4 }));
    expect(cache.decode('a', versioned, '9:9', null, false).version).toBe(4);
    // A definition stored before the version moved in front of it: the ver entry counts.
    const unversioned = json.replace(/^~v\d+,?/, '~');
    expect(cache.decode('a', unversioned, '9:9', '3', false).version).toBe(3);
    expect(cache.decode('a', unversioned, '9:9', '5', false).version).toBe(5);
    expect(cache.decode('a', json, '9:9', '3', true).paused).toBe(true);
    expect(cache.decode('a', json, '5:7', '2', false)).not.toBe(first);
  });

  it('the pause info is part of what must be unchanged', () => {
    const cache = new DecodedJobs(1_000_000);
    const info = JSON.stringify({ pausedAt: 5, pauseReason: 'note' });
    const paused = cache.decode('a', json, '5:7', '2', true, info);
    expect(paused).toMatchObject({ paused: true, pausedAt: 5, pauseReason: 'note' });
    expect(cache.decode('a', json, '5:7', '2', true, [...info].join(''))).toBe(paused);
    const other = JSON.stringify({ pausedAt: 5, pauseReason: 'another note' });
    expect(cache.decode('a', json, '5:7', '2', true, other).pauseReason).toBe('another note');
    expect(cache.decode('a', json, '5:7', '2', true, null)).toMatchObject({
      pausedAt: null,
      pauseReason: null,
    });
  });

  it('holds at most its size in JSON, dropping the oldest first', () => {
    const cache = new DecodedJobs(json.length * 2);
    const a = cache.decode('a', json, null, '1', false);
    const b = cache.decode('b', json, null, '1', false);
    cache.decode('c', json, null, '1', false);
    expect(cache.decode('b', json, null, '1', false)).toBe(b);
    expect(cache.decode('a', json, null, '1', false)).not.toBe(a);
  });
});
