/** `viewer`: the caller's scope, which the monitor uses to show only the actions it may run. */
import { expect, test } from 'vitest';
import { createTestApp, firstError, TOKENS } from '../graphql/harness.ts';

const VIEWER = '{ viewer { scope anonymous } }';

test('each token sees its own scope, not anonymous', async () => {
  await using app = createTestApp();
  for (const [token, scope] of [
    [TOKENS.read, 'READ'],
    [TOKENS.operate, 'OPERATE'],
    [TOKENS.admin, 'ADMIN'],
  ] as const) {
    expect(await app.data(VIEWER, {}, token)).toEqual({ viewer: { scope, anonymous: false } });
  }
});

test('no token: UNAUTHENTICATED when tokens are required, the anonymous scope when allowed', async () => {
  await using app = createTestApp();
  expect(firstError(await app.request(VIEWER, {}, null)).code).toBe('UNAUTHENTICATED');
  await using open = createTestApp({ anonymousScope: 'operate' });
  expect(await open.data(VIEWER, {}, null)).toEqual({ viewer: { scope: 'OPERATE', anonymous: true } });
});
