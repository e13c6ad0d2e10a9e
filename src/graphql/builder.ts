/**
 * The Pothos builder and nothing else: the plugins, the typed context, the two scalars and the
 * root types. Every domain file (job.ts, execution.ts, ...) adds its types and root fields to this
 * builder; schema.ts imports them all and builds the schema.
 *
 * Plugins: scope-auth checks the scope each field declares (`authScopes`; the root types set the
 * default, auth.ts says which), relay builds the connection, edge and PageInfo types
 * (connection.ts), dataloader batches the per-row lookups (`t.loadable`).
 */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { Kind, type ValueNode } from 'graphql';
import { ValidationError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import { parseInstant } from '../core/triggers/compile.ts';
import { exceedsJsonDepth, JSON_DEPTH_LIMIT, MAX_JSON_DEPTH } from '../core/validate.ts';
import type { Scope } from '../scope.ts';
import { denial, grantedScopes, scopeOfFailure } from './auth.ts';
import type { GraphQLContext } from './context.ts';
import { clientError } from './errors.ts';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  // `authScopes: { operate: true }`: the field needs operate (or a scope that includes it).
  AuthScopes: Record<Scope, boolean>;
  // Fields are non-null unless they say otherwise: the schema then states what can be missing.
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    /** Epoch milliseconds inside, ISO 8601 on the wire. */
    DateTime: { Input: number; Output: number };
    JSON: { Input: JsonValue; Output: JsonValue };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => grantedScopes(ctx.auth),
    // A subscription is checked once when it starts, not at every event.
    authorizeOnSubscribe: true,
    // The same UNAUTHENTICATED / FORBIDDEN errors the operation check (operation-auth.ts) gives.
    unauthorizedError: (_parent, ctx, info, result) =>
      denial(ctx.auth, scopeOfFailure(result.failure), info.fieldName) ?? result.message,
  },
  relay: {
    pageInfoTypeOptions: { description: 'Relay page info. Pass endCursor as `after` to get the next page.' },
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});

function badInput(message: string) {
  return clientError('BAD_USER_INPUT', message);
}

function parseDateTime(value: unknown): number {
  if (typeof value !== 'string')
    throw badInput('DateTime must be an ISO 8601 string with a UTC offset, e.g. 2026-03-01T09:00:00Z');
  try {
    return parseInstant(value, 'DateTime');
  } catch (error) {
    if (error instanceof ValidationError) throw badInput(error.message);
    throw error;
  }
}

builder.scalarType('DateTime', {
  description:
    'An instant. Input: ISO 8601 with a UTC offset (2026-03-01T09:00:00Z, 2026-03-01T10:00:00+01:00). Output: UTC ISO 8601 with milliseconds.',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parseDateTime(node.value);
  },
});

/**
 * JSON input nests at most MAX_JSON_DEPTH levels. Checked here, before anything walks the value
 * recursively (jsonLiteral below, the core's checks, a store's codec), and without recursion, so
 * a 10,000-level variable or literal is a BAD_USER_INPUT naming the limit, not a stack overflow.
 * (graphql-js's parser recurses too: a literal that deep is refused before parsing, limits.ts.)
 */
function tooDeep() {
  return badInput(`JSON value nested too deeply: ${JSON_DEPTH_LIMIT}`);
}

/** Whether a literal nests lists and objects deeper than MAX_JSON_DEPTH, counted with an explicit stack. */
function literalTooDeep(root: ValueNode): boolean {
  const stack: { node: ValueNode; depth: number }[] = [{ node: root, depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { node } = frame;
    if (node.kind !== Kind.LIST && node.kind !== Kind.OBJECT) continue;
    const depth = frame.depth + 1;
    if (depth > MAX_JSON_DEPTH) return true;
    if (node.kind === Kind.LIST) for (const item of node.values) stack.push({ node: item, depth });
    else for (const field of node.fields) stack.push({ node: field.value, depth });
  }
  return false;
}

/** Recursive, so only called on a literal literalTooDeep has bounded. */
function jsonLiteral(node: ValueNode, variables: Record<string, unknown> | null | undefined): JsonValue {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map((item) => jsonLiteral(item, variables));
    case Kind.OBJECT: {
      const out: { [key: string]: JsonValue } = {};
      for (const field of node.fields) out[field.name.value] = jsonLiteral(field.value, variables);
      return out;
    }
    case Kind.VARIABLE:
      return (variables?.[node.name.value] ?? null) as JsonValue;
  }
}

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => {
    if (exceedsJsonDepth(value)) throw tooDeep();
    return value as JsonValue;
  },
  parseLiteral: (node, variables) => {
    // Thrown while the document is validated (the literal alone), so the client sees this message.
    if (literalTooDeep(node)) throw tooDeep();
    // Variables inside the literal add their own depth (each at most the limit, so this stays
    // walkable); the core's requireJson refuses the sum: an error thrown here at execution time
    // would be replaced by graphql-js's bare "Argument has invalid value".
    return jsonLiteral(node, variables);
  },
});

// Deny by default: every query and subscription field needs read, every mutation admin unless it
// declares less (mutationScope in auth.ts).
builder.queryType({ authScopes: { read: true } });
builder.mutationType({ authScopes: { admin: true } });
builder.subscriptionType({ authScopes: { read: true } });
