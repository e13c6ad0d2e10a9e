/**
 * GraphiQL bundled into one page (no CDN), so the playground works offline. The bundle is 9 MB of
 * JavaScript: it is imported on the first page request, never when GraphiQL is disabled.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

export const GRAPHIQL_DEFAULT_QUERY = `# Kairos: add "Authorization: Bearer <token>" under Headers when tokens are configured.
query Jobs {
  scheduler { instance running timezone version }
  jobs(first: 20) {
    totalCount
    edges { node { id name task paused nextRunTime lastExecution { status finishedAt } } }
  }
}
`;

/** A renderer for Yoga's `renderGraphiQL` that renders the page once and keeps it. */
export function bundledGraphiQL(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | null = null;
  // Yoga passes the same options on every request (they are fixed in createKairosYoga).
  return (options) => {
    page ??= import('@graphql-yoga/render-graphiql').then(
      ({ renderGraphiQL }) => renderGraphiQL(options),
      (error: unknown) => {
        page = null; // try again on the next request
        throw error;
      },
    );
    return page;
  };
}
