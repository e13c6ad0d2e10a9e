/**
 * GraphQL over fetch, same origin. The token (when KAIROS_TOKENS is set) lives in sessionStorage:
 * it survives a reload but not the tab, and no other site can read it.
 */
import { useEffect, useState } from 'preact/hooks';

const TOKEN_KEY = 'kairos.token';

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders() {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Any request answered UNAUTHENTICATED asks the app for a token (app.js listens). */
export function reportUnauthenticated() {
  window.dispatchEvent(new CustomEvent('kairos:unauthenticated'));
}

export async function gql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  const error = body?.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (code === 'UNAUTHENTICATED') reportUnauthenticated();
    throw new ApiError(error.message, code);
  }
  if (!response.ok || !body?.data) throw new ApiError(`HTTP ${response.status}`, 'HTTP');
  return body.data;
}

/** All pages of a connection, up to `limit` rows: `fetchPage(after)` returns the connection. */
export async function collect(fetchPage, limit) {
  const rows = [];
  let after = null;
  for (;;) {
    const page = await fetchPage(after);
    rows.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage || rows.length >= limit)
      return { rows, complete: !page.pageInfo.hasNextPage };
    after = page.pageInfo.endCursor;
  }
}

const RANK = { READ: 1, OPERATE: 2, ADMIN: 3 };

/** Whether the viewer's scope includes `needed` (READ, OPERATE, ADMIN). */
export function can(viewer, needed) {
  return viewer !== null && RANK[viewer.scope] >= RANK[needed];
}

const SIMPLE_TRIGGER_FIELDS = `
  __typename
  ... on CronTrigger { expression timezone }
  ... on IntervalTrigger { weeks days hours minutes seconds milliseconds }
  ... on DateTrigger { runDate }
`;

/** An `any` trigger's parts are simple triggers (the API takes no nesting), so one level is all. */
export const TRIGGER_FIELDS = `${SIMPLE_TRIGGER_FIELDS}
  ... on AnyTrigger { triggers { ${SIMPLE_TRIGGER_FIELDS} } }
`;

/**
 * Runs `load` now and whenever a value in `deps` changes (the app's refresh tick among them);
 * keeps the last data while a reload is under way or failed, so the page does not flicker.
 */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null });
  const [version, setVersion] = useState(0);
  // `deps` are what `load` depends on: the caller names them, as with useEffect itself.
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: null }),
      (error) => current && setState((previous) => ({ data: previous.data, error })),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  return { ...state, reload: () => setVersion((v) => v + 1) };
}
