/**
 * The monitor's file serving without a browser: gzip, ETags and 304s (assets.ts), and that every
 * URL the page loads (its modules, the import map's libraries, the stylesheets) is served from the
 * real files (routes.ts), so a renamed file in node_modules fails here rather than in a browser.
 */
import { describe, expect, it } from 'vitest';
import { acceptsGzip, createAssetServer, type TextFiles } from '../../src/monitor/assets.ts';
import { serveMonitor } from '../../src/monitor/routes.ts';
import { fsPlatform } from '../../src/runtime/fs-platform.ts';

const BIG = `export const text = ${JSON.stringify('kairos '.repeat(500))};\n`;

function memoryFiles(contents: Record<string, string>): TextFiles & { reads: number } {
  const files = {
    reads: 0,
    readTextFile: async (path: string) => {
      files.reads++;
      const text = contents[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
  return files;
}

const ASSETS = new Map([
  ['/big.js', { path: 'big.js', contentType: 'text/javascript' }],
  ['/small.css', { path: 'small.css', contentType: 'text/css' }],
  ['/missing.js', { path: 'missing.js', contentType: 'text/javascript' }],
]);

function request(path: string, headers: Record<string, string> = {}, method = 'GET'): Request {
  return new Request(`http://127.0.0.1${path}`, { method, headers });
}

describe('asset server', () => {
  const fs = memoryFiles({ 'big.js': BIG, 'small.css': 'a{}' });
  const serve = createAssetServer(ASSETS, fs);

  it('gzips for a client that takes it, and the bytes decompress to the file', async () => {
    const response = (await serve(request('/big.js', { 'accept-encoding': 'br, gzip;q=0.8' }), '/big.js'))!;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toBe('Accept-Encoding');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+\.gz"$/);
    const compressed = await response.arrayBuffer();
    expect(compressed.byteLength).toBeLessThan(BIG.length / 5);
    expect(Number(response.headers.get('content-length'))).toBe(compressed.byteLength);
    const plain = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip'));
    expect(await new Response(plain).text()).toBe(BIG);
  });

  it('sends the file as is without gzip in Accept-Encoding, and never compresses a small file', async () => {
    const plain = (await serve(request('/big.js'), '/big.js'))!;
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(BIG);
    const small = (await serve(request('/small.css', { 'accept-encoding': 'gzip' }), '/small.css'))!;
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(small.headers.get('content-type')).toBe('text/css');
    expect(await small.text()).toBe('a{}');
  });

  it('answers 304 to either representation’s ETag, HEAD without a body, 405 to a POST', async () => {
    const first = (await serve(request('/big.js', { 'accept-encoding': 'gzip' }), '/big.js'))!;
    const gzipTag = first.headers.get('etag')!;
    const plainTag = (await serve(request('/big.js'), '/big.js'))!.headers.get('etag')!;
    expect(plainTag).not.toBe(gzipTag);
    for (const tag of [gzipTag, plainTag, `W/${plainTag}`, `"other", ${gzipTag}`]) {
      const again = (await serve(request('/big.js', { 'if-none-match': tag }), '/big.js'))!;
      expect(again.status, tag).toBe(304);
      expect(await again.text()).toBe('');
    }
    expect((await serve(request('/big.js', { 'if-none-match': '"stale"' }), '/big.js'))!.status).toBe(200);
    const head = (await serve(request('/big.js', {}, 'HEAD'), '/big.js'))!;
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(BIG.length));
    expect(await head.text()).toBe('');
    const post = (await serve(request('/big.js', {}, 'POST'), '/big.js'))!;
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reads each file once, tries a failed read again, and knows nothing of other paths', async () => {
    const reads = fs.reads;
    await serve(request('/big.js'), '/big.js');
    expect(fs.reads).toBe(reads);
    await expect(serve(request('/missing.js'), '/missing.js')).rejects.toThrow(/ENOENT/);
    await expect(serve(request('/missing.js'), '/missing.js')).rejects.toThrow(/ENOENT/);
    expect(fs.reads).toBe(reads + 2);
    expect(await serve(request('/elsewhere.js'), '/elsewhere.js')).toBeNull();
  });

  it('reads Accept-Encoding q-values', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip(null)).toBe(false);
  });
});

describe('monitor routes on the real files', () => {
  // No Accept-Encoding: a Response built here is not decompressed by text(), as fetch's would be.
  const get = (path: string) => serveMonitor(new Request(`http://127.0.0.1${path}`), fsPlatform);

  it('serves the page and every module, library and stylesheet it names', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!) as {
      imports: Record<string, string>;
    };
    const linked = [...html.matchAll(/(?:href|src)="(\/monitor\/[^"]+)"/g)].map((m) => m[1]!);
    const pending = [...Object.values(importMap.imports), ...linked];
    expect(pending).toContain('/monitor/vendor/preact.mjs');
    // Walk the page's own module graph: every relative import must be served too.
    const seen = new Set<string>();
    while (pending.length > 0) {
      const url = pending.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toMatch(
        url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      if (url.startsWith('/monitor/vendor/') || !url.endsWith('.js')) continue;
      for (const [, name] of (await response.text()).matchAll(/from '\.\/([\w-]+\.js)'/g))
        pending.push(`/monitor/${name}`);
    }
    expect(seen).toContain('/monitor/history.js');
  });

  it('404s an unknown file under /monitor/, and says why without file access', async () => {
    expect((await get('/monitor/nope.js')).status).toBe(404);
    const blind = await serveMonitor(new Request('http://127.0.0.1/'), undefined);
    expect(blind.status).toBe(503);
    expect(await blind.text()).toMatch(/needs file access/);
  });
});
