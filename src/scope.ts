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

/** Whether `held` includes `needed`. */
export function scopeIncludes(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/** The lesser of two scopes. */
export function lowerScope(a: Scope, b: Scope): Scope {
  return scopeIncludes(b, a) ? a : b;
}
