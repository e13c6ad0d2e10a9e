/**
 * EventSource authentication (issue 8): createSubscriptionToken mints a short-lived token that
 * opens an SSE subscription as `?token=`, and nothing else; a refused SSE subscription is an HTTP
 * 4xx before any stream starts, so EventSource stops instead of reconnecting forever.
 */
import { describe, expect, test } from 'vitest';
import type { Job } from '../../src/core/job.ts';
import {
  createSubscriptionTokens,
  MAX_SUBSCRIPTION_TOKEN_TTL_S,
} from '../../src/graphql/subscription-token.ts';
import type { Scope } from '../../src/scope.ts';
import { createTestApp, firstError, SseReader, type TestApp, TOKENS } from './harness.ts';

const SUBSCRIPTION = 'subscription { jobEvents { sequence type } }';
const jobEvent = { stream: 'job', type: 'updated', at: 0, jobId: 'x', job: { id: 'x' } as Job } as const;
const TOKEN_MAP = new Map<string, Scope>([
  [TOKENS.read, 'read'],
  [TOKENS.operate, 'operate'],
  [TOKENS.admin, 'admin'],
]);

async function mint(app: TestApp, token: string | null = TOKENS.read, ttlSeconds?: number): Promise<string> {
  const result = await app.data<{ createSubscriptionToken: { token: string; expiresAt: string } }>(
    `mutation { createSubscriptionToken${ttlSeconds === undefined ? '' : `(ttlSeconds: ${ttlSeconds})`} { token expiresAt } }`,
    {},
    token,
  );
  return result.createSubscriptionToken.token;
}

/** What a browser EventSource sends: GET, Accept: text/event-stream, no Authorization header. */
async function eventSource(
  app: TestApp,
  params: { token?: string; query?: string },
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const search = new URLSearchParams({ query: params.query ?? SUBSCRIPTION });
  if (params.token !== undefined) search.set('token', params.token);
  const controller = new AbortController();
  const response = await app.yoga.fetch(`http://kairos.test/graphql?${search}`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  return new SseReader(response, controller);
}

describe('createSubscriptionToken', () => {
  test('needs read; lives 60 s by default, at most 10 minutes', async () => {
    await using app = createTestApp();
    const before = Date.now();
    const result = await app.data<{ createSubscriptionToken: { token: string; expiresAt: string } }>(
      'mutation { createSubscriptionToken { token expiresAt } }',
      {},
      TOKENS.read,
    );
    const expiresAt = Date.parse(result.createSubscriptionToken.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 59_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(result.createSubscriptionToken.token).toMatch(
      /^kst1\.[A-Za-z0-9_-]+\.read\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
    );

    for (const ttl of [0, MAX_SUBSCRIPTION_TOKEN_TTL_S + 1]) {
      const refused = await app.request(`mutation { createSubscriptionToken(ttlSeconds: ${ttl}) { token } }`);
      expect(firstError(refused)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ttlSeconds' });
    }
    expect(await mint(app, TOKENS.read, MAX_SUBSCRIPTION_TOKEN_TTL_S)).toContain('.read.');
    const anonymous = await app.request('mutation { createSubscriptionToken { token } }', {}, null);
    expect(firstError(anonymous).code).toBe('UNAUTHENTICATED');
  });

  test("carries the caller's scope", async () => {
    await using app = createTestApp();
    expect(await mint(app, TOKENS.admin)).toContain('.admin.');
  });
});

describe('an EventSource subscription', () => {
  test('with a minted token: a 200 stream that receives events, counted against its token', async () => {
    await using app = createTestApp();
    const stream = await eventSource(app, { token: await mint(app) });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect((await stream.next())?.event).toBe('keep-alive');
    await app.subscribers(1);
    const readDigest = [
      ...(app.yoga.subscriberLimits as unknown as { byKey: Map<string, number> }).byKey.keys(),
    ];
    expect(readDigest).toHaveLength(1);
    expect(readDigest[0]).toMatch(/^[0-9a-f]{64}$/); // the read token's digest: the minting token's slot
    app.bus.publish(jobEvent);
    expect((await stream.nextPayload()).data).toEqual({ jobEvents: { sequence: 1, type: 'UPDATED' } });
    stream.close();
    await app.subscribers(0);
    expect(app.yoga.subscriberLimits.open).toBe(0);
  });

  test('without a token, or with a wrong, forged, foreign or expired one: 401 JSON before any stream', async () => {
    await using app = createTestApp();
    const good = await mint(app);
    const parts = good.split('.');
    const forgedScope = [parts[0], parts[1], 'admin', ...parts.slice(3)].join('.');
    const later = [parts[0], parts[1], parts[2], String(Number(parts[3]) + 500), ...parts.slice(4)].join('.');
    // Minted by a deployment with other KAIROS_TOKENS: another key.
    const foreign = await createSubscriptionTokens({
      tokens: new Map([['another-read-token', 'read']]),
      anonymousScope: null,
    }).mint({ scope: 'read', via: 'token', subject: 'x' }, 60);
    const cases: [string, string | undefined][] = [
      ['none', undefined],
      ['garbage', 'not-a-token'],
      ['an API token', TOKENS.admin],
      ['a changed scope', forgedScope],
      ['a changed expiry', later],
      ['foreign', foreign.token],
    ];
    for (const [name, token] of cases) {
      const stream = await eventSource(app, { token });
      expect(stream.response.status, name).toBe(401);
      expect(stream.response.headers.get('content-type'), name).toContain('application/json');
      expect(stream.response.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
      expect(firstError({ status: 401, ...(await stream.json()) }).code, name).toBe('UNAUTHENTICATED');
    }
    expect(app.yoga.subscriptions.size).toBe(0);
    expect(app.yoga.subscriptions.groupCount).toBe(0);
  });

  test('an expired token is refused', async () => {
    await using app = createTestApp();
    const token = await mint(app, TOKENS.read, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100 - (Date.now() % 1000)));
    const stream = await eventSource(app, { token });
    expect(stream.response.status).toBe(401);
    expect((await stream.json()).errors?.[0]?.message).toMatch(/expired/);
  });

  test('a token whose minting token was removed from KAIROS_TOKENS is refused', async () => {
    const now = () => 1_700_000_000_000;
    const before = createSubscriptionTokens({ tokens: TOKEN_MAP, anonymousScope: null, now });
    const minted = await before.mint({ scope: 'read', via: 'token', subject: await sha256(TOKENS.read) }, 60);
    expect(await before.verify(minted.token)).toMatchObject({ scope: 'read', via: 'subscription-token' });
    const fewer = new Map(TOKEN_MAP);
    fewer.delete(TOKENS.read);
    fewer.set('another-token-1', 'read');
    const after = createSubscriptionTokens({ tokens: fewer, anonymousScope: null, now });
    expect(await after.verify(minted.token)).toBeNull();
    // The same KAIROS_TOKENS in any order: the same key.
    const reordered = createSubscriptionTokens({
      tokens: new Map([...TOKEN_MAP].reverse()),
      anonymousScope: null,
      now,
    });
    expect(await reordered.verify(minted.token)).toMatchObject({ scope: 'read' });
    // Expiry, by the clock: valid until the second it names.
    const late = createSubscriptionTokens({
      tokens: TOKEN_MAP,
      anonymousScope: null,
      now: () => now() + 60_000,
    });
    expect(await late.verify(minted.token)).toBeNull();
  });

  test('a token minted by one replica opens a stream on another with the same KAIROS_TOKENS', async () => {
    await using minter = createTestApp();
    await using other = createTestApp();
    const stream = await eventSource(other, { token: await mint(minter) });
    expect(stream.response.status).toBe(200);
    await stream.next();
    await other.subscribers(1);
    stream.close();
  });

  test('with anonymous access on, no token is needed, and a minted one works too', async () => {
    await using app = createTestApp({ anonymousScope: 'read' });
    const bare = await eventSource(app, {});
    expect(bare.response.status).toBe(200);
    const token = await mint(app, null);
    expect(token).toMatch(/^kst1\.anon\.read\./);
    const minted = await eventSource(app, { token });
    expect(minted.response.status).toBe(200);
    await bare.next();
    await minted.next();
    await app.subscribers(2);
    bare.close();
    minted.close();
  });

  test('an invalid subscription is 400 before any stream, not a 200 stream EventSource retries', async () => {
    await using app = createTestApp();
    const token = await mint(app);
    const cases = [
      'subscription { noSuchField }',
      'subscription { jobEvents { sequence }',
      'subscription($id: ID!) { jobEvents(jobId: $id) { sequence } }',
    ];
    for (const query of cases) {
      const stream = await eventSource(app, { token, query });
      expect(stream.response.status, query).toBe(400);
      expect((await stream.json()).errors?.length, query).toBeGreaterThan(0);
    }
  });
});

describe('a subscription token is accepted nowhere else', () => {
  test('not as a bearer token: for queries, mutations or subscriptions', async () => {
    await using app = createTestApp();
    const token = await mint(app, TOKENS.admin);
    expect(firstError(await app.request('{ tasks { name } }', {}, token)).code).toBe('UNAUTHENTICATED');
    expect(firstError(await app.request('mutation { removeJob(id: "x") { id } }', {}, token)).code).toBe(
      'UNAUTHENTICATED',
    );
    const stream = await app.sse(SUBSCRIPTION, {}, token);
    expect(stream.response.status).toBe(401);
  });

  test('not as ?token= for a query or a mutation, not on POST, not with an Authorization header too', async () => {
    await using app = createTestApp();
    const token = await mint(app, TOKENS.admin);
    const query = await eventSource(app, { token, query: '{ tasks { name } }' });
    expect(query.response.status).toBe(401);
    expect((await query.json()).errors?.[0]?.message).toMatch(/opens an SSE subscription only/);
    // A mutation over GET is refused by Yoga whatever the credential (405).
    const mutation = await eventSource(app, {
      token,
      query: 'mutation { createSubscriptionToken { token } }',
    });
    expect(mutation.response.status).toBe(405);

    const asJson = await app.yoga.fetch(
      `http://kairos.test/graphql?query=${encodeURIComponent('{ tasks { name } }')}&token=${token}`,
    );
    expect(asJson.status).toBe(400);
    const post = await app.yoga.fetch(`http://kairos.test/graphql?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    });
    expect(post.status).toBe(400);
    const both = await eventSource(app, { token }, { authorization: `Bearer ${TOKENS.read}` });
    expect(both.response.status).toBe(400);
    expect(app.yoga.subscriptions.size).toBe(0);
  });
});

async function sha256(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
