/** GraphiQL: bundled into the page (no CDN, works offline), and absent when disabled. */
import { describe, expect, test } from 'vitest';
import { createTestApp } from './harness.ts';

const page = (app: ReturnType<typeof createTestApp>) =>
  app.yoga.fetch('http://kairos.test/graphql', { headers: { accept: 'text/html' } });

describe('GraphiQL', () => {
  test('is one self-contained page: no script, style, icon or module from an http(s) host', async () => {
    await using app = createTestApp({ graphiql: true });
    const response = await page(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('<title>Kairos</title>');
    expect(html.length).toBeGreaterThan(1_000_000); // the bundle itself, inline
    // Asset references only; the bundle's JavaScript mentions URLs in strings (w3.org namespaces, docs).
    expect(html.match(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//gi)).toBeNull();
    expect(html.match(/url\(\s*["']?\s*(?:https?:)?\/\//gi)).toBeNull();
    expect(html.match(/import\(\s*["'`]\s*(?:https?:)?\/\//gi)).toBeNull();
    expect(html.match(/unpkg\.com|jsdelivr|cdnjs|esm\.sh|skypack/gi)).toBeNull();
    const again = await (await page(app)).text();
    expect(again).toBe(html); // rendered once, served from memory
  });

  test('is not served when disabled', async () => {
    await using app = createTestApp({ graphiql: false });
    const response = await page(app);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain('<html');
  });
});
