/**
 * Bounds on what one operation may ask for, enforced by graphql-armor before execution.
 * Sized for this schema: the deepest useful query (jobs -> executions -> job -> lastExecution ->
 * error -> message) is 10 levels; GraphiQL's introspection query passes (introspection is exempt
 * from depth and cost). The cost counts a literal `first: N` as N times its selection (armor's
 * model): `jobs(first: 500)` with every Job field fits (~110,000); `jobs(first: 100)` with
 * `executions(first: 50)` inside does not (~450,000).
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';

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
