/**
 * The web perimeter (issue 8): what a browser page on another site can make Kairos do. Four rules,
 * each a small pure check used by the app (HTTP), the Yoga server (CORS, CSRF) and every runtime's
 * WebSocket upgrade (src/runtime/*.ts):
 *
 * - CSRF: a POST must carry a JSON body (`application/json`, `application/graphql+json`). A page
 *   can send form, multipart and text/plain bodies to any site without asking (no preflight);
 *   a JSON body needs a CORS preflight, which the next rule answers. GET runs queries only (Yoga).
 * - CORS: off unless KAIROS_CORS_ORIGINS lists the origin (or is `*`: any origin, no credentials).
 * - Host: while anonymous access is on, only loopback names are served, so a DNS-rebinding page
 *   (attacker.example resolving to 127.0.0.1) is refused.
 * - WebSocket Origin: browsers send it and never ask CORS first, so it is checked against the same
 *   allow-list; no Origin (not a browser) and same-origin pass.
 *
 * Web-standard APIs only: this file runs on Node, Bun and Deno.
 */
import type { Plugin } from 'graphql-yoga';

/** KAIROS_CORS_ORIGINS: `*` (any origin, without credentials) or exact origins (empty: none). */
export type CorsOrigins = '*' | readonly string[];

/** Request media types a mutation may arrive in: none of them can be sent cross-site without CORS. */
export const JSON_MEDIA_TYPES: readonly string[] = ['application/json', 'application/graphql+json'];

export interface Refusal {
  status: number;
  message: string;
  code: string;
}

export interface PerimeterOptions {
  corsOrigins: CorsOrigins;
  /** True while requests without a token are served (no KAIROS_TOKENS): only loopback Host names. */
  loopbackHostsOnly: boolean;
}

export interface Perimeter extends PerimeterOptions {
  /** An HTTP request the Host rule refuses, as a response; null when it may be served. */
  refuseRequest(request: Request): Response | null;
  /** Why a WebSocket upgrade with these headers is refused (answer it with refusal.status), or null. */
  refuseUpgrade(headers: { origin: string | null; host: string | null }): Refusal | null;
}

export function createPerimeter(options: PerimeterOptions): Perimeter {
  const hostRefusal = (host: string | null): Refusal | null =>
    !options.loopbackHostsOnly || isLoopbackHost(host)
      ? null
      : {
          status: 421,
          code: 'MISDIRECTED_REQUEST',
          message:
            `Host ${JSON.stringify(host ?? '')} is not served: without KAIROS_TOKENS Kairos answers only ` +
            'loopback names (localhost, *.localhost, 127.0.0.0/8, [::1]), so a page on another site ' +
            'cannot reach it through DNS rebinding. Use http://127.0.0.1:<port>, or set KAIROS_TOKENS.',
        };
  return {
    ...options,
    refuseRequest(request) {
      const refusal = hostRefusal(hostOf(request));
      return refusal && refusalResponse(refusal);
    },
    refuseUpgrade({ origin, host }) {
      const refusal = hostRefusal(host);
      if (refusal) return refusal;
      if (originAllowed(origin, host, options.corsOrigins)) return null;
      return {
        status: 403,
        code: 'FORBIDDEN_ORIGIN',
        message:
          `WebSocket from origin ${JSON.stringify(origin)} refused: only the same origin and those ` +
          'in KAIROS_CORS_ORIGINS may open one.',
      };
    },
  };
}

/** A refusal as a GraphQL-shaped JSON response, so GraphQL clients show the message. */
export function refusalResponse(refusal: Refusal, headers: Record<string, string> = {}): Response {
  return new Response(
    JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }),
    {
      status: refusal.status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    },
  );
}

/** The Host a request was sent to: the header, else the URL's authority (a Request built in code). */
function hostOf(request: Request): string | null {
  const header = request.headers.get('host');
  if (header !== null) return header;
  try {
    return new URL(request.url).host || null;
  } catch {
    return null;
  }
}

const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]@/\\?#\s]+)(:\d{1,5})?$/;

/** localhost, *.localhost, 127.0.0.0/8, [::1] (and ::ffff:127.x), with any port or none. */
export function isLoopbackHost(host: string | null): boolean {
  if (host === null) return false;
  const match = HOST_HEADER.exec(host.trim());
  if (!match) return false;
  let name: string;
  try {
    name = new URL(`http://${match[1]}/`).hostname; // lower case, IPv4 and IPv6 normalized
  } catch {
    return false;
  }
  if (name.endsWith('.') && !name.endsWith('..')) name = name.slice(0, -1);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return true;
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}

/**
 * May a browser page from `origin` talk to us over a channel CORS does not guard (WebSocket)?
 * No Origin: not a browser. Same origin: the page was served by us (the Host it was sent to).
 */
export function originAllowed(origin: string | null, host: string | null, allowed: CorsOrigins): boolean {
  if (origin === null) return true;
  if (allowed === '*') return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false; // "null" (a sandboxed frame, file://) or garbage
  if (allowed.includes(normalized)) return true;
  if (host === null) return false;
  try {
    return new URL(normalized).host === new URL(`http://${host.trim()}`).host;
  } catch {
    return false;
  }
}

/** scheme://host[:port] in canonical form, or null when `value` is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]*\/./i.test(value)) return null;
  return url.origin;
}

type CorsAnswer = { origin: string[]; credentials: boolean; maxAge: number } | false;

/**
 * Yoga's `cors` option. No origins: false (no CORS headers at all, a preflight gets none). Listed
 * origins get their own origin back, with credentials; others get no CORS header. `*`: any origin,
 * never with credentials.
 */
export function corsOption(origins: CorsOrigins): false | ((request: Request) => CorsAnswer) {
  if (origins !== '*' && origins.length === 0) return false;
  return (request) => {
    if (origins === '*') return { origin: ['*'], credentials: false, maxAge: 600 };
    const origin = request.headers.get('origin');
    const normalized = origin === null ? null : normalizeOrigin(origin);
    if (normalized === null || !origins.includes(normalized)) return false;
    return { origin: [origin as string], credentials: true, maxAge: 600 };
  };
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * CSRF: a POST is read only when its body is JSON. Refused with 415 before Yoga parses anything,
 * so a forged form, multipart or text/plain request runs no operation at all.
 */
export function jsonBodiesOnly(corsOrigins: CorsOrigins): Plugin {
  const varyOrigin = corsOrigins === '*' || corsOrigins.length > 0;
  return {
    onRequest({ request, endResponse }) {
      if (request.method !== 'POST') return;
      const type = mediaType(request);
      if (JSON_MEDIA_TYPES.includes(type)) return;
      endResponse(
        refusalResponse(
          {
            status: 415,
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message:
              `POST bodies must be JSON (content-type: application/json), not ${JSON.stringify(type || 'none')}: ` +
              'a page on another site can forge form, multipart and text/plain requests, not JSON ones.',
          },
          { accept: JSON_MEDIA_TYPES.join(', ') },
        ),
      );
    },
    // Answers differ by Origin once CORS is open: caches must not hand one origin's to another.
    onResponse({ response }) {
      if (!varyOrigin) return;
      const vary = response.headers.get('vary');
      if (
        !vary
          ?.toLowerCase()
          .split(/\s*,\s*/)
          .includes('origin')
      ) {
        response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
      }
    },
  };
}
