/** What the benchmarks share: server URLs, a throwaway database, and Redis clean-up. */
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

/** Deletes every key under a bench's Redis prefix. */
export async function clearPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`{${prefix}}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
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
