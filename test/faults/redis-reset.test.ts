/**
 * Redis emptied under a running app (issue 9): its own keys are dropped (a flush of this test's
 * prefix, the shared Redis is left alone). The next claim round sees the epoch marker gone, the app
 * logs a loud DATA LOSS error, and fencing tokens of the new epoch never equal an earlier one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { warnIfEvicting } from '../../src/app/stores.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { fsPlatform } from '../../src/runtime/fs-platform.ts';
import { connect, dropPrefix } from '../adapters/redis-harness.ts';
import { REDIS_URL, redisAvailability, uniquePrefix } from '../support/services.ts';

const redis = await redisAvailability();

describe.skipIf(!redis.available)('Redis emptied while the app runs', () => {
  it('is detected within one claim round: data loss logged, /readyz says why, the jobs file declared again', async () => {
    const prefix = uniquePrefix('reset').slice(0, 64);
    const dir = mkdtempSync(join(tmpdir(), 'kairos-reset-'));
    const jobsFile = join(dir, 'jobs.json');
    writeFileSync(
      jobsFile,
      JSON.stringify([{ id: 'declared', task: 'log', trigger: { interval: { seconds: 1 } } }]),
    );
    const lines: { level: string; msg: string; at: number }[] = [];
    const logger = createLogger({
      level: 'warn',
      write: (line) =>
        lines.push({ ...(JSON.parse(line) as { level: string; msg: string }), at: Date.now() }),
    });
    const config = loadConfig({
      REDIS_URL,
      DATABASE_URL: 'memory://',
      KAIROS_REDIS_PREFIX: prefix,
      KAIROS_JOBS_FILE: jobsFile,
    });
    const app = await createApp(config, { logger, platform: fsPlatform });
    const client = connect();
    try {
      await app.start();
      const added = await app.fetch(
        new Request('http://127.0.0.1:4000/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'mutation { addJob(input: { id: "tick", task: "log", trigger: { interval: { seconds: 1 } } }) { id } }',
          }),
        }),
      );
      expect(added.status).toBe(200);
      // The first claim round opens the epoch (after the replica joined the cluster).
      let epoch: string | null = null;
      for (const began = Date.now(); !epoch && Date.now() - began < 3_000; ) {
        epoch = await client.get(`{${prefix}}:epoch`);
        if (!epoch) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(epoch).toBeTruthy();
      const claimed = await client.hget(`{${prefix}}:claimed`, 'tick');
      // Let it fire once, then empty the store.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const flushedAt = Date.now();
      await dropPrefix(client, prefix);
      const deadline = Date.now() + 5_000;
      while (!lines.some((l) => l.msg.startsWith('DATA LOSS')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const loss = lines.find((l) => l.msg.startsWith('DATA LOSS'));
      expect(loss?.level).toBe('error');
      expect((loss?.at ?? Number.POSITIVE_INFINITY) - flushedAt).toBeLessThan(2_000);
      // A new epoch is written by the following round; tokens carry it, so none repeats.
      const start = Date.now();
      let epochAfter: string | null = null;
      while (!epochAfter && Date.now() - start < 3_000) {
        epochAfter = await client.get(`{${prefix}}:epoch`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(epochAfter).toBeTruthy();
      expect(epochAfter).not.toBe(epoch);
      if (claimed) expect(claimed.startsWith(`${epoch}:`)).toBe(true);
      // Still serving: /healthz answers; /readyz fails and says why.
      expect((await app.fetch(new Request('http://127.0.0.1:4000/healthz'))).status).toBe(200);
      const ready = await app.fetch(new Request('http://127.0.0.1:4000/readyz'));
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/storeReset.*was reset/);
      // The jobs file is declared again; the job added through the API is gone, as logged.
      const jobs = async () => (await client.hkeys(`{${prefix}}:jobs`)).sort();
      for (const began = Date.now(); !(await jobs()).includes('declared') && Date.now() - began < 3_000; )
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await jobs()).toEqual(['declared']);
    } finally {
      await app.stop();
      await dropPrefix(client, prefix);
      client.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a Redis that evicts keys is reported loudly at start', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    const { Redis } = await import('ioredis');
    const redisClient = new Redis(`redis://127.0.0.1:${port}`, {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    try {
      for (const began = Date.now(); redisClient.status !== 'ready' && Date.now() - began < 5_000; )
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await warnIfEvicting(redisClient, logger)).toBe('allkeys-lru');
      expect(lines.join('\n')).toMatch(/"level":"error".*Redis evicts keys \(maxmemory-policy allkeys-lru\)/);
      // The shared server keeps the default: nothing said.
      const shared = connect();
      const before = lines.length;
      expect(await warnIfEvicting(shared, logger)).toBe('noeviction');
      expect(lines.length).toBe(before);
      shared.disconnect();
    } finally {
      redisClient.disconnect();
      server.kill('SIGKILL');
    }
  }, 30_000);
});
