/**
 * Bearer tokens with ordered scopes: read < operate < admin. Every root field calls
 * `requireScope` before it does anything, so a denied request has no side effect.
 *
 * Tokens are compared by their SHA-256 digest, so how long a lookup takes says nothing about
 * how much of a guessed token was right.
 */
import { clientError } from './errors.ts';

export type Scope = 'read' | 'operate' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'operate', 'admin'];
const RANK: Record<Scope, number> = { read: 1, operate: 2, admin: 3 };

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
}

export interface TokenTable {
  /** The scope of a presented credential (`Bearer <token>` or a bare token), or of no credential. */
  authenticate(credential: string | null): Promise<Auth>;
}

/**
 * The scope each mutation needs; every query and subscription field needs read. A mutation missing
 * here needs admin (deny by default).
 */
export const MUTATION_SCOPES: Readonly<Record<string, Scope>> = {
  createSubscriptionToken: 'read',
  pauseJob: 'operate',
  resumeJob: 'operate',
  runJobNow: 'operate',
  addJob: 'admin',
  updateJob: 'admin',
  rescheduleJob: 'admin',
  removeJob: 'admin',
};

export function scopeOf(operation: 'query' | 'mutation' | 'subscription', field: string): Scope {
  return operation === 'mutation' ? (MUTATION_SCOPES[field] ?? 'admin') : 'read';
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

export async function digest(token: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function createTokenTable(
  tokens: ReadonlyMap<string, Scope>,
  anonymousScope: Scope | null,
): TokenTable {
  const hashed = Promise.all(
    [...tokens].map(async ([token, scope]) => [await digest(token), scope] as const),
  ).then((entries) => new Map(entries));
  // Tokens already proven valid skip the digest (a request's worth of CPU at high rates); only a
  // valid token can get in here, so a lookup reveals nothing about guesses.
  const proven = new Map<string, { scope: Scope; subject: string }>();
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
        const scope = (await hashed).get(subject);
        if (scope !== undefined) {
          known = { scope, subject };
          proven.set(token, known);
        }
      }
      return known ? { ...known, via: 'token' } : { scope: null, via: 'unknown-token' };
    },
  };
}

/**
 * Throws UNAUTHENTICATED or FORBIDDEN unless `auth` holds at least `needed`. Every root resolver
 * calls it first; authorizeOperation (operation-auth.ts) has already checked the whole operation.
 */
export function requireScope(ctx: { auth: Auth }, needed: Scope, field: string): void {
  const { scope, via } = ctx.auth;
  if (scope === null) {
    const message =
      via === 'unknown-token'
        ? 'the bearer token is not valid'
        : 'authentication required: send "Authorization: Bearer <token>"';
    throw clientError('UNAUTHENTICATED', message);
  }
  if (RANK[scope] < RANK[needed]) {
    throw clientError('FORBIDDEN', `"${field}" needs the ${needed} scope; this request has ${scope}`, {
      requiredScope: needed,
    });
  }
}
