/**
 * The monitor's shell: who is looking (viewer, token prompt), which page (#/ or #/jobs/<id>),
 * the live feed, and the refresh tick every page reloads its data on: soon after execution
 * events (throttled, so a busy service does not mean a query storm) and every 15 s regardless.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getToken, gql, setToken } from './api.js';
import { addEvent, EMPTY_FEED, FEED_QUERY, Feed } from './feed.js';
import { JobPage } from './job-page.js';
import { subscribe } from './live.js';
import { Overview } from './overview.js';

const VIEWER = 'query MonitorViewer { viewer { scope anonymous } }';
const REFRESH_EVERY_MS = 15_000;
const REFRESH_AFTER_EVENT_MS = 1_000;
const RETRY_VIEWER_MS = 3_000;

function parseRoute(hash) {
  const match = /^#\/jobs\/(.+)$/.exec(hash);
  return match ? { page: 'job', id: decodeURIComponent(match[1]) } : { page: 'overview' };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** A clock for relative times ("in 12 sec."), ticking every second. */
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function App() {
  // checking | ready | token (the prompt is shown)
  const [auth, setAuth] = useState('checking');
  const [viewer, setViewer] = useState(null);
  const [authError, setAuthError] = useState(null);
  const [feed, setFeed] = useState(EMPTY_FEED);
  const [connection, setConnection] = useState('connecting');
  const [refresh, setRefresh] = useState(0);
  const route = useRoute();
  const now = useNow();

  const checkViewer = () =>
    gql(VIEWER).then(
      (data) => {
        setViewer(data.viewer);
        setAuth('ready');
        setAuthError(null);
      },
      (error) => {
        if (error.code === 'UNAUTHENTICATED') {
          if (getToken()) setAuthError('That token is not valid.');
          setAuth('token');
          return;
        }
        // The service is starting, restarting or unreachable: ask again shortly.
        setAuthError(`${error.message}; retrying…`);
        setTimeout(checkViewer, RETRY_VIEWER_MS);
      },
    );

  useEffect(() => {
    checkViewer();
    const onUnauthenticated = () => setAuth('token');
    window.addEventListener('kairos:unauthenticated', onUnauthenticated);
    return () => window.removeEventListener('kairos:unauthenticated', onUnauthenticated);
  }, []);

  useEffect(() => {
    if (auth !== 'ready') return;
    let pending = null;
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = null;
        setRefresh((n) => n + 1);
      }, REFRESH_AFTER_EVENT_MS);
    };
    const stop = subscribe({
      query: FEED_QUERY,
      onData: (data) => {
        setFeed((current) => addEvent(current, data.executionEvents, Date.now()));
        soon();
      },
      onStatus: setConnection,
    });
    const timer = setInterval(() => setRefresh((n) => n + 1), REFRESH_EVERY_MS);
    return () => {
      stop();
      clearInterval(timer);
      clearTimeout(pending);
    };
  }, [auth]);

  const signOut = () => {
    setToken(null);
    setViewer(null);
    setAuth('checking');
    checkViewer();
  };

  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/">Kairos</a>
      <nav>
        <a href="#/" class=${route.page === 'overview' ? 'on' : ''}>Overview</a>
        <a href="/graphql">GraphiQL</a>
      </nav>
      <div class="who">
        ${viewer && html`<span class="pill" data-scope=${viewer.scope}>${viewer.anonymous ? 'anonymous ' : ''}${viewer.scope.toLowerCase()}</span>`}
        ${getToken() && html`<button type="button" class="link" onClick=${signOut}>Sign out</button>`}
      </div>
    </header>
    ${
      auth === 'token' &&
      html`<${TokenPrompt} error=${authError} onToken=${(token) => {
        setToken(token);
        checkViewer();
      }} />`
    }
    ${auth === 'checking' && html`<p class=${authError ? 'error' : 'loading'}>${authError ?? 'Connecting…'}</p>`}
    ${
      auth === 'ready' &&
      html`<div class="layout">
      <main>
        ${
          route.page === 'job'
            ? html`<${JobPage} id=${route.id} viewer=${viewer} refresh=${refresh} now=${now} />`
            : html`<${Overview} refresh=${refresh} now=${now} />`
        }
      </main>
      <${Feed} feed=${feed} status=${connection} />
    </div>`
    }
  </div>`;
}

function TokenPrompt({ error, onToken }) {
  return html`<form
    class="panel token-prompt"
    onSubmit=${(e) => {
      e.preventDefault();
      onToken(new FormData(e.currentTarget).get('token').trim());
    }}
  >
    <h2>Token</h2>
    <p>This service requires a token (KAIROS_TOKENS). It is kept in this tab's session storage only.</p>
    ${error && html`<p class="error-text">${error}</p>`}
    <input name="token" type="password" autocomplete="off" placeholder="Bearer token" aria-label="Token" required />
    <button type="submit">Open the monitor</button>
  </form>`;
}

const root = document.getElementById('root');
// The loading line goes: render appends to what the container holds.
root.textContent = '';
render(html`<${App} />`, root);
