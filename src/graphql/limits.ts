/**
 * Bounds on what one operation may ask for, enforced by graphql-armor before execution.
 * Sized for this schema: the deepest useful query (jobs -> executions -> job -> lastExecution ->
 * error -> message) is 10 levels; GraphiQL's introspection query passes (introspection is exempt
 * from depth and cost).
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';

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
  maxCost: 5_000,
};

export function armorPlugin(limits: GraphQLLimits) {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
    // The schema is public (introspection, schema.graphql): hiding "Did you mean" protects nothing.
    blockFieldSuggestion: { enabled: false },
  });
}
