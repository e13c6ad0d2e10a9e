/**
 * GraphiQL bundled into one page (no CDN), so the playground works offline. The bundle is 9 MB of
 * JavaScript: it is imported on the first page request, never when GraphiQL is disabled, and sent
 * gzipped and revalidated by ETag, so a reload costs a 304.
 */
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { assetResponse, type Prepared, prepareText } from '../monitor/assets.ts';

export const GRAPHIQL_DEFAULT_QUERY = `# Kairos: add "Authorization: Bearer <token>" under Headers when tokens are configured.
query Jobs {
  scheduler { instance running timezone version }
  jobs(first: 20) {
    totalCount
    edges { node { id name task paused nextRunTime lastExecution { status finishedAt } } }
  }
}
`;

export interface BundledGraphiQL {
  /** For Yoga's `renderGraphiQL`: renders the page once and keeps it. */
  render(options: GraphiQLOptions): Promise<string>;
  /** Serves that page gzipped with a strong ETag (304 on a match), as the monitor's files are. */
  plugin: Plugin;
}

export function bundledGraphiQL(): BundledGraphiQL {
  let page: Promise<string> | null = null;
  let asset: Promise<Prepared> | null = null;
  // Yoga passes the same options on every request (they are fixed in createKairosYoga).
  const render = (options: GraphiQLOptions) => {
    page ??= import('@graphql-yoga/render-graphiql').then(
      ({ renderGraphiQL }) => renderGraphiQL(options),
      (error: unknown) => {
        page = null; // try again on the next request
        throw error;
      },
    );
    return page;
  };
  return {
    render,
    plugin: {
      // Yoga answers GraphiQL with a plain text/html 200 of the rendered page, the only HTML it
      // serves: replaced by the prepared copy, so the 9 MB page is hashed and compressed once.
      async onResponse({ request, response, setResponse }) {
        if (page === null || response.status !== 200 || response.headers.get('content-type') !== 'text/html')
          return;
        const rendered = page;
        asset ??= rendered.then((html) => prepareText(html, 'text/html; charset=utf-8'));
        await response.body?.cancel();
        setResponse(assetResponse(request, await asset));
      },
    },
  };
}
