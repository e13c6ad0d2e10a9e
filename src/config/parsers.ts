/**
 * Parsers for one variable each: they take the trimmed value (undefined when unset or empty) and
 * report problems through `fail` rather than throwing, so loadConfig can list every problem at
 * once. Messages name the variable and, unless it may hold a secret, the value.
 */
import { isScope, type TokenGrant } from '../scope.ts';
import { isHost } from './hosts.ts';

/** Reports a problem with the variable being parsed; `value` is quoted into the message when given. */
export type Fail = (message: string, value?: string) => void;

/** What a parser may need besides the value: the runtime's defaults. */
export interface ParseContext {
  defaultInstance: string | undefined;
}

export type Parser<T> = (value: string | undefined, fail: Fail, context: ParseContext) => T;

export function integer(min: number, max: number, fallback: number): Parser<number> {
  return (value, fail) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) {
      fail(`must be a whole number between ${min} and ${max}`, value);
      return fallback;
    }
    const number = Number(value);
    if (number < min || number > max) {
      fail(`must be between ${min} and ${max}`, value);
      return fallback;
    }
    return number;
  };
}

/** Unset is null ("not configured"), not a default number. */
export function optionalInteger(min: number, max: number): Parser<number | null> {
  const parse = integer(min, max, 0);
  return (value, fail, context) => (value === undefined ? null : parse(value, fail, context));
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export function boolean(fallback: boolean): Parser<boolean> {
  return (value, fail) => {
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    fail(`must be one of ${[...TRUE, ...FALSE].join(', ')}`, value);
    return fallback;
  };
}

/** A string kept as it is when `valid`, else `message` is reported. */
export function text(
  fallback: string,
  valid: (value: string) => boolean = () => true,
  message = '',
): Parser<string> {
  return (value, fail) => {
    const result = value ?? fallback;
    if (!valid(result)) fail(message, result);
    return result;
  };
}

export function optionalText(): Parser<string | null> {
  return (value) => value ?? null;
}

export function oneOf<T extends string>(choices: readonly T[], fallback: T): Parser<T> {
  return (value, fail) => {
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    fail(`must be one of ${choices.join(', ')}`, value);
    return fallback;
  };
}

export function hostName(fallback: string): Parser<string> {
  return text(fallback, isHost, 'is not an IP address or host name');
}

/** A URL with one of `protocols`; the value may hold a password, so messages never quote it. */
export function url(protocols: string[]): Parser<string | null> {
  return (value, fail) => {
    if (value === undefined) return null;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      fail(`is not a URL (expected ${protocols[0]}//host:port/...)`);
      return value;
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${parsed.protocol}//`);
    } else if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      fail('has no host');
    }
    return value;
  };
}

export const MIN_TOKEN_LENGTH = 16;
const TOKEN_CHARS = /^[\x21-\x7e]+$/; // printable ASCII without space: what an Authorization header carries

const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `[name=]scope:token, ...`. Tokens are secrets: messages name an entry by position, scope and
 * name, never its text. A name is who the token acts for in the audit trail and `pausedBy`.
 */
export const tokens: Parser<Map<string, TokenGrant>> = (value, fail) => {
  const found = new Map<string, TokenGrant>();
  const names = new Set<string>();
  if (value === undefined) return found;
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return; // a trailing comma is harmless
    const where = (message: string) => fail(`entry ${index + 1} ${message}`);
    const colon = entry.indexOf(':');
    if (colon < 0) {
      where('must be scope:token or name=scope:token (scope read, operate or admin)');
      return;
    }
    const head = entry.slice(0, colon).trim();
    const equals = head.indexOf('=');
    const name = equals < 0 ? null : head.slice(0, equals).trim();
    const scope = equals < 0 ? head : head.slice(equals + 1).trim();
    if (name !== null && !TOKEN_NAME.test(name)) {
      where('has a name that is not 1-64 letters, digits, ".", "_" or "-"');
      return;
    }
    if (name !== null && names.has(name)) {
      where(`repeats the name ${JSON.stringify(name)} of an earlier entry; each token needs its own name`);
      return;
    }
    const token = entry.slice(colon + 1).trim();
    if (!isScope(scope)) {
      where(`has scope ${JSON.stringify(scope.slice(0, 20))}; the scope must be read, operate or admin`);
      return;
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      where(`(${scope}) has a token of ${token.length} characters; tokens need at least ${MIN_TOKEN_LENGTH}`);
      return;
    }
    if (!TOKEN_CHARS.test(token)) {
      where(`(${scope}) has a token with spaces or non-ASCII characters`);
      return;
    }
    const previous = found.get(token);
    if (previous !== undefined) {
      where(
        `(${scope}) repeats the token of an earlier entry (${previous.scope}); each token needs one scope`,
      );
      return;
    }
    if (name !== null) names.add(name);
    found.set(token, { scope, name });
  });
  return found;
};

/** `*`, or comma-separated origins (scheme://host[:port]), kept in canonical form without duplicates. */
export const corsOrigins: Parser<'*' | string[]> = (value, fail) => {
  if (value === undefined) return [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.includes('*')) {
    if (entries.length > 1) fail('is "*" (any origin) or a list of origins, not both', value);
    return '*';
  }
  const origins: string[] = [];
  entries.forEach((entry, index) => {
    const origin = canonicalOrigin(entry);
    if (origin === null) {
      fail(
        `entry ${index + 1} (${JSON.stringify(entry.slice(0, 200))}) is not an origin: http(s)://host[:port] ` +
          'with no path (for example https://app.example.com)',
      );
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  });
  return origins;
};

function canonicalOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#@\s]+\/?$/i.test(value)) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}
