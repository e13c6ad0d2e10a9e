/**
 * The monitor's URLs: the page at `/`, its modules under /monitor/, and the libraries it imports
 * under /monitor/vendor/, served from node_modules as published (no build step, no CDN: the page
 * works offline). The page's own routes (#/jobs/<id>) live after the `#`, so the server knows
 * only these files.
 */
import { type AssetFile, type AssetServer, createAssetServer, type TextFiles } from './assets.ts';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

/** The page's own modules, in src/monitor/ui/. */
const UI_FILES = [
  'app.js',
  'api.js',
  'live.js',
  'format.js',
  'chart.js',
  'overview.js',
  'replicas.js',
  'jobs-table.js',
  'job-page.js',
  'history.js',
  'actions.js',
  'feed.js',
  'style.css',
  'status.css',
  'pages.css',
];

/** URL name -> file under node_modules; index.html's import map points at these URLs. */
const VENDOR_FILES: Record<string, string> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
  'htm-preact.mjs': 'htm/preact/index.mjs',
  'uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
  // A UMD build (cronstrue ships no ES module): as a module it sets globalThis.cronstrue.
  'cronstrue.min.js': 'cronstrue/dist/cronstrue.min.js',
};

function diskPath(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

function typeOf(name: string): string {
  return name.endsWith('.css') ? CSS : name.endsWith('.html') ? HTML : JS;
}

function monitorFiles(): Map<string, AssetFile> {
  const files = new Map<string, AssetFile>();
  files.set('/', { path: diskPath('./ui/index.html'), contentType: HTML });
  for (const name of UI_FILES) {
    files.set(`/monitor/${name}`, { path: diskPath(`./ui/${name}`), contentType: typeOf(name) });
  }
  for (const [name, file] of Object.entries(VENDOR_FILES)) {
    files.set(`/monitor/vendor/${name}`, {
      path: diskPath(`../../node_modules/${file}`),
      contentType: typeOf(name),
    });
  }
  return files;
}

/** Paths the monitor answers (404 for an unknown file under /monitor/). */
export function isMonitorPath(pathname: string): boolean {
  return pathname === '/' || pathname.startsWith('/monitor/');
}

/** One asset server per platform: its cache holds the files read through that platform. */
const servers = new WeakMap<TextFiles, AssetServer>();

export async function serveMonitor(request: Request, platform: TextFiles | undefined): Promise<Response> {
  if (!platform) {
    return new Response('The monitor needs file access, which this runtime did not give the app.\n', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  let server = servers.get(platform);
  if (server === undefined) {
    server = createAssetServer(monitorFiles(), platform);
    servers.set(platform, server);
  }
  let response: Response | null;
  try {
    response = await server(request, new URL(request.url).pathname);
  } catch (error) {
    return new Response(`The monitor could not read its files: ${(error as Error).message}\n`, {
      status: 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  if (response === null) return new Response('Not found\n', { status: 404 });
  // The page has buttons that change jobs: no other site may frame it and trick a click.
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('content-security-policy', "frame-ancestors 'none'");
  return response;
}
