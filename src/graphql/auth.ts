/**
 * Bearer tokens and what their scopes allow. Each field declares the scope it needs through the
 * Pothos scope-auth plugin (`authScopes`, builder.ts; queries and subscriptions need read,
 * mutations admin unless they declare less with mutationScope); the plugin asks grantedScopes
 * which scopes a request holds, and a refusal is the error `denial` builds.
 *
 * Tokens are compared by their SHA-256 digest, so how long a lookup takes says nothing about
 * how much of a guessed token was right.
 */
import { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import { grantOf, SCOPES, type Scope, scopeIncludes, type TokenGrant } from '../scope.ts';
import { clientError } from './errors.ts';

export interface Auth {
  /** null: nothing may be done. */
  scope: Scope | null;
  /** How the scope was decided, for the error message. */
  via: 'token' | 'anonymous' | 'unknown-token' | 'subscription-token';
  /**
   * Who, for per-token limits (subscriber-limits.ts): the SHA-256 digest (hex) of the token, also
   * for a subscription token it minted (subscription-token.ts), or `anonymous`. Never shown.
   */
  subject?: string;
  /** The token's name (`name=scope:token`), also for a subscription token it minted. */
  name?: string | null;
}

export interface TokenTable {
  /** The scope of a presented credential (`Bearer <token>` or a bare token), or of no credential. */
  authenticate(credential: string | null): Promise<Auth>;
}

/** Field options for a mutation that needs less than admin, the Mutation type's default. */
export function mutationScope(scope: Exclude<Scope, 'admin'>) {
  return { skipTypeScopes: true, authScopes: { [scope]: true } as Partial<Record<Scope, boolean>> };
}

/** The scope-auth plugin's view of a request: which scopes it holds (each includes those below it). */
export function grantedScopes(auth: Auth): Record<Scope, boolean> {
  const held = auth.scope;
  return Object.fromEntries(SCOPES.map((s) => [s, held !== null && scopeIncludes(held, s)])) as Record<
    Scope,
    boolean
  >;
}

/** The scope a scope-auth failure was missing; admin when it does not say (deny by default). */
export function scopeOfFailure(failure: AuthFailure): Scope {
  if (failure.kind === AuthScopeFailureType.AuthScope) return failure.scope as Scope;
  if (
    failure.kind === AuthScopeFailureType.AnyAuthScopes ||
    failure.kind === AuthScopeFailureType.AllAuthScopes
  ) {
    const first = failure.failures[0];
    if (first) return scopeOfFailure(first);
  }
  return 'admin';
}

export async function digest(token: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** KAIROS_TOKENS as configured: token -> its grant (a bare scope for an unnamed token). */
export type TokenMap = ReadonlyMap<string, Scope | TokenGrant>;

export function createTokenTable(tokens: TokenMap, anonymousScope: Scope | null): TokenTable {
  const hashed = Promise.all(
    [...tokens].map(async ([token, entry]) => [await digest(token), grantOf(entry)] as const),
  ).then((entries) => new Map(entries));
  // Tokens already proven valid skip the digest (a request's worth of CPU at high rates); only a
  // valid token can get in here, so a lookup reveals nothing about guesses.
  const proven = new Map<string, { scope: Scope; subject: string; name: string | null }>();
  return {
    async authenticate(credential) {
      if (credential === null || credential.trim() === '')
        return { scope: anonymousScope, via: 'anonymous', subject: 'anonymous' };
      const match = /^Bearer\s+(\S+)\s*$/i.exec(credential.trim());
      // A credential in any other form (Basic ..., two words) is as unknown as a wrong token.
      const token = match ? match[1]! : /\s/.test(credential.trim()) ? null : credential.trim();
      if (token === null) return { scope: null, via: 'unknown-token' };
      let known = proven.get(token);
      if (known === undefined) {
        const subject = await digest(token);
        const grant = (await hashed).get(subject);
        if (grant !== undefined) {
          known = { scope: grant.scope, subject, name: grant.name };
          proven.set(token, known);
        }
      }
      return known ? { ...known, via: 'token' } : { scope: null, via: 'unknown-token' };
    },
  };
}

/** UNAUTHENTICATED or FORBIDDEN unless `auth` holds at least `needed`; null when it does. */
export function denial(auth: Auth, needed: Scope, field: string) {
  const { scope, via } = auth;
  if (scope === null) {
    const message =
      via === 'unknown-token'
        ? 'the bearer token is not valid'
        : 'authentication required: send "Authorization: Bearer <token>"';
    return clientError('UNAUTHENTICATED', message);
  }
  if (!scopeIncludes(scope, needed)) {
    return clientError('FORBIDDEN', `"${field}" needs the ${needed} scope; this request has ${scope}`, {
      requiredScope: needed,
    });
  }
  return null;
}

/** Throws the denial, if any. */
export function requireScope(ctx: { auth: Auth }, needed: Scope, field: string): void {
  const error = denial(ctx.auth, needed, field);
  if (error) throw error;
}

/**
 * Who a request acts for in the audit trail and `pausedBy`: a named token by its name and scope
 * ("deploy-bot (operate)"), an unnamed one by its scope ("admin token").
 */
export function actorOf(auth: Auth): string {
  if (auth.scope === null) return 'nobody';
  if (auth.via === 'anonymous') return `anonymous (${auth.scope})`;
  return auth.name ? `${auth.name} (${auth.scope})` : `${auth.scope} token`;
}
