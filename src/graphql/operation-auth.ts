/**
 * Checks every root field of an operation against the caller's scope before anything executes,
 * so a request that is denied for one field changes nothing, even when it also holds fields the
 * caller may run (`mutation { pauseJob(...) removeJob(...) }` with an operate token): the
 * scope-auth plugin checks each field only as it runs, after the ones before it. The scope is the
 * one the field declares to scope-auth (its `authScopes`, or its root type's), read from the
 * schema, so there is one table: the field definitions.
 */
import {
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationTypeNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isScope, SCOPES, type Scope } from '../scope.ts';
import { denial } from './auth.ts';
import type { GraphQLContext } from './context.ts';

interface ScopeOptions {
  authScopes?: unknown;
  skipTypeScopes?: boolean;
}

/** The lowest scope a scope map accepts (our scopes are ordered, so that one is enough). */
function lowest(authScopes: unknown): Scope | null {
  if (typeof authScopes !== 'object' || authScopes === null) return null;
  const accepted = Object.entries(authScopes).filter(([name, on]) => on === true && isScope(name));
  return SCOPES.find((scope) => accepted.some(([name]) => name === scope)) ?? null;
}

function pothosOptions(extensions: { readonly [key: string]: unknown } | null | undefined): ScopeOptions {
  return (extensions?.pothosOptions ?? {}) as ScopeOptions;
}

/** The scope a root field needs, as declared to scope-auth; admin when nothing says (deny by default). */
export function scopeOf(schema: GraphQLSchema, operation: `${OperationTypeNode}`, field: string): Scope {
  const type: GraphQLObjectType | null | undefined = schema.getRootType(operation as OperationTypeNode);
  const options = pothosOptions(type?.getFields()[field]?.extensions);
  const needed = [lowest(options.authScopes)];
  if (!options.skipTypeScopes) needed.push(lowest(pothosOptions(type?.extensions).authScopes));
  const declared = needed.filter((scope) => scope !== null);
  if (declared.length === 0) return 'admin';
  // Field and type scopes must both pass: the higher one is needed.
  return declared.reduce((a, b) => (SCOPES.indexOf(a) >= SCOPES.indexOf(b) ? a : b));
}

function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      names.push(...rootFields(document, selection.selectionSet, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION)
        names.push(...rootFields(document, fragment.selectionSet, seen));
    }
  }
  return names;
}

/** The refusal of the first root field the caller may not run; null when all pass. */
function operationDenial(
  schema: GraphQLSchema,
  ctx: GraphQLContext,
  document: DocumentNode,
  operationName: string | null | undefined,
) {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null; // the executor reports the missing operation itself
  for (const field of rootFields(document, operation.selectionSet, new Set())) {
    if (field.startsWith('__')) continue; // __typename, introspection
    const error = denial(ctx.auth, scopeOf(schema, operation.operation, field), field);
    if (error) return error;
  }
  return null;
}

export const authorizeOperation: Plugin<GraphQLContext> = {
  onExecute: ({ args, setResultAndStopExecution }) => {
    const error = operationDenial(args.schema, args.contextValue, args.document, args.operationName);
    if (error) setResultAndStopExecution({ data: null, errors: [error] });
  },
  onSubscribe: ({ args, setResultAndStopExecution }) => {
    const error = operationDenial(args.schema, args.contextValue, args.document, args.operationName);
    if (error) setResultAndStopExecution({ errors: [error] });
  },
};
