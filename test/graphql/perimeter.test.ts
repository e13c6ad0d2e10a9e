/** The perimeter's pure checks (src/graphql/perimeter.ts); over a real port: test/service/security.test.ts. */
import { describe, expect, it } from 'vitest';
import {
  createPerimeter,
  isLoopbackHost,
  normalizeOrigin,
  originAllowed,
} from '../../src/graphql/perimeter.ts';
import { createTestApp, TOKENS } from './harness.ts';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'localhost:4000',
    'LOCALHOST:4000',
    'kairos.localhost:4000',
    'a.b.localhost',
    '127.0.0.1',
    '127.0.0.1:4000',
    '127.255.1.2:80',
    '[::1]',
    '[::1]:4000',
    '[0:0:0:0:0:0:0:1]:4000',
    '[::ffff:127.0.0.1]:4000',
  ])('serves %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    null,
    '',
    'attacker.example',
    'attacker.example:4000',
    'localhost.attacker.example',
    'mylocalhost',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '10.0.0.1:4000',
    '0.0.0.0',
    '[::]',
    '[::2]:4000',
    'evil@127.0.0.1',
    'localhost:4000/x',
    'localhost:abc',
  ])('refuses %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('origins', () => {
  it('normalizeOrigin keeps http(s) origins only', () => {
    expect(normalizeOrigin('https://App.Example:443')).toBe('https://app.example');
    expect(normalizeOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    for (const bad of ['null', 'file:///x', 'https://a.example/path', 'https://a.example?x', 'x'])
      expect(normalizeOrigin(bad), bad).toBeNull();
  });

  it('originAllowed: no Origin, same origin, listed, or *', () => {
    expect(originAllowed(null, 'x:1', [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:4000', '127.0.0.1:4000', [])).toBe(true);
    expect(originAllowed('http://localhost', 'localhost:80', [])).toBe(true);
    expect(originAllowed('https://app.example', '127.0.0.1:4000', ['https://app.example'])).toBe(true);
    expect(originAllowed('https://evil.example', '127.0.0.1:4000', ['https://app.example'])).toBe(false);
    expect(originAllowed('https://evil.example', '127.0.0.1:4000', '*')).toBe(true);
    expect(originAllowed('null', '127.0.0.1:4000', [])).toBe(false);
    expect(originAllowed('http://127.0.0.1:4001', '127.0.0.1:4000', [])).toBe(false);
  });

  it('refuseUpgrade checks the Host first while anonymous, the Origin always', () => {
    const anonymous = createPerimeter({ corsOrigins: [], loopbackHostsOnly: true });
    expect(anonymous.refuseUpgrade({ origin: null, host: 'attacker.example' })?.status).toBe(421);
    expect(anonymous.refuseUpgrade({ origin: 'https://evil.example', host: 'localhost' })?.status).toBe(403);
    expect(anonymous.refuseUpgrade({ origin: null, host: 'localhost:4000' })).toBeNull();
    const tokens = createPerimeter({ corsOrigins: [], loopbackHostsOnly: false });
    expect(tokens.refuseUpgrade({ origin: null, host: 'kairos.internal' })).toBeNull();
    expect(tokens.refuseUpgrade({ origin: 'https://evil.example', host: 'kairos.internal' })?.status).toBe(
      403,
    );
  });
});

describe('through yoga.fetch', () => {
  it('refuses non-JSON POST bodies with 415 before any operation runs', async () => {
    await using app = createTestApp();
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/graphql', '']) {
      const response = await app.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: { ...(type ? { 'content-type': type } : {}), authorization: `Bearer ${TOKENS.admin}` },
        body: 'query=mutation%20%7B%20removeJob(id%3A%22x%22)%20%7B%20id%20%7D%20%7D',
      });
      expect(response.status, type).toBe(415);
    }
    const json = await app.yoga.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKENS.read}` },
      body: JSON.stringify({ query: '{ tasks { name } }' }),
    });
    expect(json.status).toBe(200);
  });

  it('with * answers any origin without credentials', async () => {
    await using app = createTestApp({ corsOrigins: '*' });
    const response = await app.yoga.fetch('http://127.0.0.1/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://any.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
