/**
 * Reachability of the real servers. Suites that need Redis or PostgreSQL run when the server
 * answers and otherwise skip with one line saying why. Under KAIROS_REQUIRE_SERVICES=1 (CI) an
 * unreachable server fails the run instead, so CI always exercises the real thing.
 */
import { Redis } from 'ioredis';
import postgres from 'postgres';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = process.env.KAIROS_REQUIRE_SERVICES === '1';

export interface Availability {
  available: boolean;
  reason: string;
}

async function probe(name: string, url: string, check: () => Promise<void>): Promise<Availability> {
  try {
    await check();
    return { available: true, reason: '' };
  } catch (error) {
    const reason = `${name} at ${redact(url)} is unreachable (${(error as Error).message})`;
    if (required) throw new Error(`KAIROS_REQUIRE_SERVICES=1 but ${reason}`);
    console.warn(`[skip] ${reason}: skipping the ${name} suite`);
    return { available: false, reason };
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function redisAvailability(): Promise<Availability> {
  return probe('Redis', REDIS_URL, async () => {
    const client = new Redis(REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  });
}

export function postgresAvailability(): Promise<Availability> {
  return probe('PostgreSQL', DATABASE_URL, async () => {
    const sql = postgres(DATABASE_URL, { connect_timeout: 2, max: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
}

/**
 * A fresh database for one test file, so files never trample each other. Returns its URL and a
 * drop function for afterAll.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `kairos_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/** A unique Redis key prefix per test, so tests never wipe each other's data. */
export function uniquePrefix(label: string): string {
  return `kairos-test:${label}:${crypto.randomUUID()}`;
}

/** Delete every key of a Kairos deployment under `prefix` (all carry the hash tag `{prefix}`). */
export async function deleteRedisPrefix(prefix: string, redis?: Redis): Promise<void> {
  const client = redis ?? new Redis(REDIS_URL);
  try {
    const stream = client.scanStream({ match: `{${prefix}}*`, count: 1_000 });
    for await (const keys of stream as AsyncIterable<string[]>)
      if (keys.length > 0) await client.del(...keys);
  } finally {
    if (!redis) client.disconnect();
  }
}
