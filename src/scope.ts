/**
 * Access scopes, defined once for the settings (KAIROS_TOKENS), the GraphQL layer's checks and the
 * subscription tokens. Each scope includes the ones before it: read < operate < admin.
 */
export type Scope = 'read' | 'operate' | 'admin';

/** In rank order, lowest first. */
export const SCOPES: readonly Scope[] = ['read', 'operate', 'admin'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** What a KAIROS_TOKENS entry grants: a scope, and the name the audit trail knows it by. */
export interface TokenGrant {
  scope: Scope;
  /** `name=scope:token`; null for a plain `scope:token`. */
  name: string | null;
}

/** A bare scope is an unnamed token's grant. */
export function grantOf(entry: Scope | TokenGrant): TokenGrant {
  return typeof entry === 'string' ? { scope: entry, name: null } : entry;
}

/** Whether `held` includes `needed`. */
export function scopeIncludes(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/** The lesser of two scopes. */
export function lowerScope(a: Scope, b: Scope): Scope {
  return scopeIncludes(b, a) ? a : b;
}
