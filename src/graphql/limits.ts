/**
 * Bounds on what one operation may ask for, enforced by graphql-armor before execution.
 * Sized for this schema: the deepest useful query (jobs -> executions -> job -> lastExecution ->
 * error -> message) is 10 levels; GraphiQL's introspection query passes (introspection is exempt
 * from depth and cost). The cost counts a literal `first: N` as N times its selection (armor's
 * model): `jobs(first: 500)` with every Job field fits (~110,000); `jobs(first: 100)` with
 * `executions(first: 50)` inside does not (~450,000).
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, Source, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { JSON_DEPTH_LIMIT, MAX_JSON_DEPTH } from '../core/validate.ts';
import { clientError } from './errors.ts';

export interface GraphQLLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

export const DEFAULT_LIMITS: GraphQLLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 20,
  maxCost: 150_000,
};

/**
 * Report a limit as a validation error instead of throwing it: Yoga then answers 400 with
 * GRAPHQL_VALIDATION_FAILED like any other invalid document, over HTTP and WebSocket alike.
 * (Tokens are counted while parsing, where there is no validation context: that one throws.)
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export function armorPlugin(limits: GraphQLLimits) {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...asValidationError },
    maxAliases: { n: limits.maxAliases, ...asValidationError },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives, ...asValidationError },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError },
    // The schema is public (introspection, schema.graphql): hiding "Did you mean" protects nothing.
    blockFieldSuggestion: { enabled: false },
  });
}

/**
 * How deeply a document may nest braces and brackets (selection sets, input objects, lists,
 * JSON literals). graphql-js parses recursively, so a document nesting 10,000 levels overflows
 * the stack inside the parser, before the token limit (counted as tokens are read) or the JSON
 * scalar's own depth check (MAX_JSON_DEPTH) can refuse it. Room for the deepest useful document:
 * a JSON literal at its limit, inside an input object, inside a selection at the depth limit.
 */
export const MAX_DOCUMENT_NESTING = 2 * MAX_JSON_DEPTH;

/**
 * Whether `source` nests `{` and `[` deeper than `limit`, by one pass over the text that skips
 * strings, block strings and comments. Not a parser: an unbalanced document is the parser's to report.
 */
export function nestsDeeperThan(source: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '{' || char === '[') {
      if (++depth > limit) return true;
    } else if (char === '}' || char === ']') {
      if (depth > 0) depth--;
    } else if (char === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (char === '"') {
      i = source.startsWith('"""', i) ? endOfBlockString(source, i + 3) : endOfString(source, i + 1);
    }
  }
  return false;
}

/** The index of the closing quote of a string whose body starts at `i` (or of the line end). */
function endOfString(source: string, i: number): number {
  for (; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') i++;
    else if (char === '"' || char === '\n' || char === '\r') return i;
  }
  return i;
}

/** The index of the last quote closing a block string whose body starts at `i`. */
function endOfBlockString(source: string, i: number): number {
  for (; i < source.length; i++) {
    if (source.startsWith('\\"""', i)) i += 3;
    else if (source.startsWith('"""', i)) return i + 2;
  }
  return i;
}

/**
 * Refuses a document nested deeper than MAX_DOCUMENT_NESTING before graphql-js parses it, as
 * BAD_USER_INPUT (Yoga answers 400). Must come after armorPlugin: it wraps the parser armor sets.
 */
export const documentNestingLimit: Plugin = {
  onParse({ parseFn, setParseFn }) {
    setParseFn((source: string | Source, options) => {
      const text = typeof source === 'string' ? source : source.body;
      if (nestsDeeperThan(text, MAX_DOCUMENT_NESTING))
        throw clientError(
          'BAD_USER_INPUT',
          `Document nested too deeply: braces and brackets may nest at most ${MAX_DOCUMENT_NESTING} levels; ${JSON_DEPTH_LIMIT}`,
        );
      return parseFn(source, options);
    });
  },
};
