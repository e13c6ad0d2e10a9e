/**
 * Queries run as compiled JavaScript (graphql-jit): graphql-js interprets the document on every
 * request (field collection, argument coercion, abstract type resolution, a promise check per
 * field), which was most of the server's CPU on a page of 100 jobs (bench/jobs-query.ts: 6.5 times a bare
 * server's CPU per request interpreted, 3.3 times compiled). A compiled query is kept per parsed document, and
 * Yoga's parse cache hands back the same document for the same query text.
 *
 * graphql-jit's errors are not graphql-js's (a failed non-null root field leaves `data` out
 * instead of null; variable errors are worded differently and carry no code), and error codes
 * are part of the API. A query is free of side effects, so a compiled run that reports any error
 * is simply run again by graphql-js, whose result is the one sent: every error answer is exactly
 * what it was, and only the error path pays twice. Mutations (not safe to run twice) and
 * subscriptions (shared-subscriptions.ts needs graphql-js's event stream) are not compiled.
 */
import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** Per document and operation name: the compiled query, or null (not a query, or not compiled). */
const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

export const compiledQueries: Plugin = {
  onExecute({ args, executeFn, setExecuteFn }) {
    let byName = compiled.get(args.document);
    if (!byName) {
      byName = new Map();
      compiled.set(args.document, byName);
    }
    const name = args.operationName ?? '';
    let query = byName.get(name);
    if (query === undefined) {
      const operation = getOperationAST(args.document, args.operationName);
      const result =
        operation?.operation === 'query'
          ? compileQuery(args.schema, args.document, args.operationName ?? undefined)
          : null;
      query = result && isCompiledQuery(result) ? result : null;
      byName.set(name, query);
    }
    if (query === null) return;
    const run = query;
    setExecuteFn(async (executionArgs) => {
      const result = (await run.query(
        executionArgs.rootValue,
        executionArgs.contextValue,
        executionArgs.variableValues,
      )) as ExecutionResult;
      return result.errors?.length ? executeFn(executionArgs) : result;
    });
  },
};
