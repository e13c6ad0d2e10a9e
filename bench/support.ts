/** What the benchmarks share: server URLs, a throwaway database, and Redis clean-up. */
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import type { Redis } from 'ioredis';
import postgres from 'postgres';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `run` against a fresh database (its URL), dropped afterwards whatever happens. */
export async function withDatabase<T>(run: (url: string) => Promise<T>): Promise<T> {
  const name = `kairos_bench_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  try {
    return await run(url.toString());
  } finally {
    await admin.unsafe(`drop database ${name} with (force)`);
    await admin.end();
  }
}

/**
 * Deletes every key under a bench's Redis prefix: SCAN, not KEYS, so the shared Redis is not
 * blocked, and UNLINK, so a hash of a million jobs is freed in the background.
 */
export async function clearPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A plain-text table, columns padded to their widest cell. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  '));
  }
}

/** The 1-minute load average, printed with each figure: the machine is shared. */
export function loadAverage(): string {
  return os.loadavg()[0]?.toFixed(2) ?? '?';
}

/**
 * Hands a bench's figures to `npm run bench` (bench/run.ts), which names a file in
 * KAIROS_BENCH_RESULTS and collects one JSON line per call; run alone, the bench only prints.
 */
export function report(bench: string, figures: Record<string, unknown>): void {
  const file = process.env.KAIROS_BENCH_RESULTS;
  if (!file) return;
  const line = { bench, at: new Date().toISOString(), load: os.loadavg()[0], ...figures };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** One line of `npm run bench`'s closing table: a Kairos figure next to its peer's from the same run. */
export interface Comparison {
  workload: string;
  kairos: string;
  peer: string;
  /** Kairos / peer, in the unit the goal is stated in (e.g. "0.90x" of BullMQ's rate). */
  ratio: string;
  goal: string;
  /** Whether the goal is met; null when the row has no goal. */
  met: boolean | null;
}

/** Prints the rows and hands them to `npm run bench`, which gathers every bench's into one table. */
export function compare(bench: string, rows: Comparison[]): void {
  printTable(
    ['workload', 'kairos', 'peer', 'ratio', 'goal', 'met'],
    rows.map((r) => [r.workload, r.kairos, r.peer, r.ratio, r.goal, metText(r.met)]),
  );
  report(bench, { table: rows });
}

export function metText(met: boolean | null): string {
  return met === null ? '-' : met ? 'yes' : 'NO';
}

/** `value` with `digits` decimals and an "x": how a ratio is written in the tables. */
export function times(value: number, digits = 2): string {
  return `${value.toFixed(digits)}x`;
}
