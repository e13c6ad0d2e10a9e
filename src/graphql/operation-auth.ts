/**
 * Checks every root field of an operation against the caller's scope before anything executes,
 * so a request that is denied for one field changes nothing, even when it also holds fields the
 * caller may run (`mutation { pauseJob(...) removeJob(...) }` with an operate token).
 * The resolvers check again (requireScope), so a field is never left unguarded.
 */
import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requireScope, scopeOf } from './auth.ts';
import type { GraphQLContext } from './context.ts';
import { isGraphQLError } from './errors.ts';

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

/** The first root field the caller may not run, as the error requireScope throws; null when all pass. */
function denial(
  ctx: GraphQLContext,
  document: DocumentNode,
  operationName: string | null | undefined,
): Error | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null; // the executor reports the missing operation itself
  for (const field of rootFields(document, operation.selectionSet, new Set())) {
    if (field.startsWith('__')) continue; // __typename, introspection
    try {
      requireScope(ctx, scopeOf(operation.operation, field), field);
    } catch (error) {
      if (isGraphQLError(error)) return error;
      throw error;
    }
  }
  return null;
}

export const authorizeOperation: Plugin<GraphQLContext> = {
  onExecute: ({ args, setResultAndStopExecution }) => {
    const error = denial(args.contextValue, args.document, args.operationName);
    if (error) setResultAndStopExecution({ data: null, errors: [error as never] });
  },
  onSubscribe: ({ args, setResultAndStopExecution }) => {
    const error = denial(args.contextValue, args.document, args.operationName);
    if (error) setResultAndStopExecution({ errors: [error as never] });
  },
};
