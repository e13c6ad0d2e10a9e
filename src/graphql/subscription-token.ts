/**
 * Subscription tokens: how a browser EventSource, which cannot send an Authorization header,
 * authenticates a subscription. `createSubscriptionToken(ttlSeconds)` (read scope) mints a token
 * that lives 60 s by default, 10 min at most, and carries the caller's scope; it is accepted in
 * one place only, `?token=` on an SSE subscription request (GET, Accept: text/event-stream),
 * never as an Authorization header, over WebSocket, or for a query or mutation.
 *
 *   kst1.<parent>.<scope>.<expires, unix s>.<nonce>.<HMAC-SHA256 of the rest, base64url>
 *
 * Stateless and the same on every replica: the HMAC key is derived from KAIROS_TOKENS (every
 * replica has the same), not from a per-process secret, so a token minted by one replica opens a
 * stream on any other, and a restart does not void it. `parent` names the minting token by an HMAC
 * of its digest (it reveals nothing about the token); a token whose parent was removed from
 * KAIROS_TOKENS is refused, and changing KAIROS_TOKENS voids every outstanding one (they live 10
 * minutes at most anyway). The scope it grants is the lower of its own and its parent's current
 * one, and it counts against its parent's subscriber limit. Without KAIROS_TOKENS (anonymous
 * access on loopback) the key is public, which grants nothing: a forged token can only get the
 * anonymous scope a request without any token already has.
 *
 * The token is checked when the stream opens; a stream that outlives it goes on (like a WebSocket
 * authenticated once at connection_init). EventSource reconnects with the same URL after a
 * network error: once the token has expired that answer is 401, EventSource stops, and the page
 * mints a new token (README, "Subscriptions from a browser").
 */
import type { Plugin } from 'graphql-yoga';
import { grantOf, isScope, lowerScope, type Scope } from '../scope.ts';
import { type Auth, digest, mutationScope, type TokenMap } from './auth.ts';
import { builder } from './builder.ts';
import { clientError } from './errors.ts';

export const DEFAULT_SUBSCRIPTION_TOKEN_TTL_S = 60;
export const MAX_SUBSCRIPTION_TOKEN_TTL_S = 600;
/** A replica whose clock runs ahead of the minting one's still takes a token this early. */
const CLOCK_SKEW_S = 60;
const PREFIX = 'kst1';
const ANONYMOUS = 'anon';

const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export interface MintedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface SubscriptionTokens {
  /** A token for `auth`'s caller (who must hold a scope), valid `ttlSeconds`. */
  mint(auth: Auth, ttlSeconds: number): Promise<MintedToken>;
  /** The Auth a token grants, or null when it is malformed, forged, expired or its parent is gone. */
  verify(token: string): Promise<Auth | null>;
}

export interface SubscriptionTokenOptions {
  /** KAIROS_TOKENS. */
  tokens: TokenMap;
  anonymousScope: Scope | null;
  /** Epoch ms; default Date.now. */
  now?: () => number;
}

export function createSubscriptionTokens(options: SubscriptionTokenOptions): SubscriptionTokens {
  const now = options.now ?? Date.now;
  const ready = (async () => {
    const material = [...options.tokens]
      .map(([token, entry]) => `${grantOf(entry).scope}:${token}`)
      .sort()
      .join('\n');
    const seed = await crypto.subtle.digest(
      'SHA-256',
      encoder.encode(`kairos subscription tokens v1\n${material}`),
    );
    const key = await crypto.subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    const parentOf = async (subject: string) =>
      base64url(await crypto.subtle.sign('HMAC', key, encoder.encode(`parent\n${subject}`))).slice(0, 22);
    /** parent id -> the minting token's digest, scope and name. */
    const parents = new Map<string, { subject: string; scope: Scope; name: string | null }>();
    for (const [token, entry] of options.tokens) {
      const subject = await digest(token);
      parents.set(await parentOf(subject), { subject, ...grantOf(entry) });
    }
    return { key, parentOf, parents };
  })();

  return {
    async mint(auth, ttlSeconds) {
      const { key, parentOf } = await ready;
      if (auth.scope === null || auth.via === 'subscription-token' || auth.via === 'unknown-token')
        throw new Error('only a caller with a scope mints subscription tokens');
      const parent = auth.via === 'anonymous' ? ANONYMOUS : await parentOf(auth.subject ?? '');
      const expires = Math.floor(now() / 1000) + ttlSeconds;
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(9)));
      const payload = `${PREFIX}.${parent}.${auth.scope}.${expires}.${nonce}`;
      const mac = base64url(await crypto.subtle.sign('HMAC', key, encoder.encode(payload)));
      return { token: `${payload}.${mac}`, expiresAt: expires * 1000 };
    },

    async verify(token) {
      const parts = token.split('.');
      if (parts.length !== 6 || parts[0] !== PREFIX) return null;
      const [, parent, scope, expiresText, , macText] = parts as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      if (!isScope(scope) || !/^\d{1,12}$/.test(expiresText)) return null;
      const mac = fromBase64url(macText);
      if (mac === null) return null;
      const { key, parents } = await ready;
      const payload = token.slice(0, token.length - macText.length - 1);
      // crypto.subtle.verify compares in constant time.
      if (!(await crypto.subtle.verify('HMAC', key, mac, encoder.encode(payload)))) return null;
      const expires = Number(expiresText);
      const nowS = now() / 1000;
      if (expires <= nowS || expires > nowS + MAX_SUBSCRIPTION_TOKEN_TTL_S + CLOCK_SKEW_S) return null;
      if (parent === ANONYMOUS) {
        if (options.anonymousScope === null) return null;
        return {
          scope: lowerScope(scope, options.anonymousScope),
          via: 'subscription-token',
          subject: 'anonymous',
        };
      }
      const minter = parents.get(parent);
      if (!minter) return null;
      return {
        scope: lowerScope(scope, minter.scope),
        via: 'subscription-token',
        subject: minter.subject,
        name: minter.name,
      };
    },
  };
}

function acceptsEventStream(request: Request): boolean {
  return (request.headers.get('accept') ?? '').toLowerCase().includes('text/event-stream');
}

function refusal(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

export const SUBSCRIPTION_TOKEN_ONLY =
  'a subscription token (?token=) opens an SSE subscription only; send queries and mutations with "Authorization: Bearer <token>"';

/**
 * Reads `?token=`: on anything but an SSE GET it is refused, a token that does not verify is 401
 * before anything else happens (EventSource stops instead of reconnecting), and a valid one's Auth
 * is what the context uses (`authOf`). An operation other than a subscription with that Auth is
 * refused before it runs.
 */
export function subscriptionTokenPlugin(tokens: SubscriptionTokens): Plugin & {
  authOf(request: Request | undefined): Auth | undefined;
} {
  const verified = new WeakMap<Request, Auth>();
  const unauthorized = (message: string) =>
    refusal(401, 'UNAUTHENTICATED', message, { 'www-authenticate': 'Bearer error="invalid_token"' });
  return {
    authOf: (request) => (request ? verified.get(request) : undefined),
    onRequest({ request, url, endResponse }) {
      const token = url.searchParams.get('token');
      if (token === null) return;
      if (request.method !== 'GET' || !acceptsEventStream(request)) {
        endResponse(
          refusal(
            400,
            'BAD_REQUEST',
            '?token= is accepted only on an SSE subscription (GET with Accept: text/event-stream, as EventSource sends); ' +
              'other requests send "Authorization: Bearer <token>"',
          ),
        );
        return;
      }
      if (request.headers.has('authorization')) {
        endResponse(
          refusal(
            400,
            'BAD_REQUEST',
            'send a token either in ?token= or in the Authorization header, not both',
          ),
        );
        return;
      }
      return tokens.verify(token).then((auth) => {
        if (auth) verified.set(request, auth);
        else
          endResponse(
            unauthorized(
              'the subscription token is not valid or has expired: mint a new one with createSubscriptionToken',
            ),
          );
      });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const auth = (args.contextValue as { auth?: Auth }).auth;
      if (auth?.via !== 'subscription-token') return;
      setResultAndStopExecution({
        data: null,
        errors: [clientError('UNAUTHENTICATED', SUBSCRIPTION_TOKEN_ONLY)],
      });
    },
  };
}

const SubscriptionTokenRef = builder.objectRef<MintedToken>('SubscriptionToken').implement({
  description:
    'A short-lived token for one thing: opening a subscription over SSE with `?token=` (a browser EventSource cannot send an Authorization header).',
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'Pass it as `?token=` (URL-encoded) on GET /graphql with the subscription in `?query=`.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'A stream must be opened by then; an open stream is not cut at this time.',
    }),
  }),
});

builder.mutationField('createSubscriptionToken', (t) =>
  t.field({
    ...mutationScope('read'),
    type: SubscriptionTokenRef,
    description: `Needs read. A token with your scope for \`GET /graphql?query=<subscription>&token=<token>\` (EventSource), valid ttlSeconds (default ${DEFAULT_SUBSCRIPTION_TOKEN_TTL_S}, at most ${MAX_SUBSCRIPTION_TOKEN_TTL_S}). It is accepted nowhere else.`,
    args: { ttlSeconds: t.arg.int({ defaultValue: DEFAULT_SUBSCRIPTION_TOKEN_TTL_S }) },
    resolve: (_root, { ttlSeconds }, ctx) => {
      const ttl = ttlSeconds ?? DEFAULT_SUBSCRIPTION_TOKEN_TTL_S;
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_SUBSCRIPTION_TOKEN_TTL_S) {
        throw clientError(
          'BAD_USER_INPUT',
          `ttlSeconds must be between 1 and ${MAX_SUBSCRIPTION_TOKEN_TTL_S} (10 minutes), got ${ttl}`,
          { field: 'ttlSeconds' },
        );
      }
      return ctx.subscriptionTokens.mint(ctx.auth, ttl);
    },
  }),
);
