/**
 * The Pothos builder and nothing else: the typed context, the two scalars and the root types.
 * Every domain file (job.ts, execution.ts, ...) adds its types and root fields to this builder;
 * schema.ts imports them all and builds the schema.
 */
import SchemaBuilder from '@pothos/core';
import { Kind, type ValueNode } from 'graphql';
import { ValidationError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import { parseInstant } from '../core/triggers/compile.ts';
import type { GraphQLContext } from './context.ts';
import { clientError } from './errors.ts';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  // Fields are non-null unless they say otherwise: the schema then states what can be missing.
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    /** Epoch milliseconds inside, ISO 8601 on the wire. */
    DateTime: { Input: number; Output: number };
    JSON: { Input: JsonValue; Output: JsonValue };
  };
}>({ defaultFieldNullability: false });

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
  parseValue: (value) => value as JsonValue,
  parseLiteral: (node, variables) => jsonLiteral(node, variables),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
