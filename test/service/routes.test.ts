/** The app's route table and router (src/app/routes.ts), without stores or a port. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRouter, type Route } from '../../src/app/routes.ts';

const refusing = {
  refuseRequest: (request: Request) =>
    request.headers.get('host') === 'evil.example' ? new Response(null, { status: 421 }) : null,
};
const ok = (body: string) => () => new Response(body);
const get = (path: string, init: RequestInit & { host?: string } = {}) =>
  new Request(`http://127.0.0.1${path}`, { ...init, headers: { host: init.host ?? '127.0.0.1' } });

describe('createRouter', () => {
  const routes: Route[] = [
    { path: '/probe', methods: ['GET', 'HEAD'], open: true, handle: ok('probe') },
    { path: '/metrics', methods: ['GET'], handle: ok('metrics') },
    { path: (p) => p.startsWith('/files/'), handle: ok('file') },
    { path: () => true, handle: ok('fallback') },
  ];
  const fetch = createRouter(routes, refusing);

  it('answers with the first route whose path matches, exact or by test', async () => {
    expect(await (await fetch(get('/metrics'))).text()).toBe('metrics');
    expect(await (await fetch(get('/files/a.js'))).text()).toBe('file');
    expect(await (await fetch(get('/metrics/x'))).text()).toBe('fallback');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const response = await fetch(get('/probe', { method: 'POST' }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('puts every route behind the perimeter but the open ones', async () => {
    expect((await fetch(get('/metrics', { host: 'evil.example' }))).status).toBe(421);
    expect((await fetch(get('/anything', { host: 'evil.example' }))).status).toBe(421);
    expect(await (await fetch(get('/probe', { host: 'evil.example' }))).text()).toBe('probe');
  });

  it('is 404 when no route matches', async () => {
    expect((await createRouter([], refusing)(get('/x'))).status).toBe(404);
  });
});

it('src/app.ts and src/app/ use web-standard APIs only (they run on Node, Bun and Deno)', () => {
  const dir = new URL('../../src/app/', import.meta.url);
  const files = [
    new URL('../../src/app.ts', import.meta.url),
    ...readdirSync(dir).map((f) => new URL(f, dir)),
  ];
  expect(files.length).toBeGreaterThan(5);
  for (const file of files) expect(readFileSync(file, 'utf8')).not.toMatch(/from ['"](node:|bun|deno)/);
});
