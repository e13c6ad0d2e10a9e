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

  test('is sent gzipped with an ETag, and a revalidation with that tag is a 304', async () => {
    await using app = createTestApp({ graphiql: true });
    const fetchPage = (headers: Record<string, string>) =>
      app.yoga.fetch('http://kairos.test/graphql', { headers: { accept: 'text/html', ...headers } });
    const plain = await fetchPage({});
    const html = await plain.text();
    const gzipped = await fetchPage({ 'accept-encoding': 'gzip, br' });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(gzipped.headers.get('vary')).toBe('Accept-Encoding');
    const bytes = new Uint8Array(await gzipped.arrayBuffer());
    expect(bytes.byteLength).toBeLessThan(html.length / 3);
    const unzipped = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')));
    expect(await unzipped.text()).toBe(html);
    const etag = plain.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetchPage({ 'if-none-match': etag as string });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  test('is not served when disabled', async () => {
    await using app = createTestApp({ graphiql: false });
    const response = await page(app);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain('<html');
  });
});
