/**
 * A cache of whole query responses over the job store: a `jobs` page asked again, with the same
 * document, variables and scope while no job changed, is answered with the body it got last
 * time, without executing or serialising it again. The store's change count (JobStore.changeCount)
 * says when nothing changed: it moves with every write list/get/count can see, so an entry is
 * served only for the count it was computed at, and all entries go when the count moves.
 *
 * Only documents that read nothing but jobs are cached (STORE_ONLY below): a field that reads the
 * execution log, the clock or the replica table would go stale without the count moving. Only
 * results without errors are kept, so a refusal is never served from here; the scope is part of
 * the key, so a request is answered only with what a request of its own scope was allowed to see.
 */
import {
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Auth } from './auth.ts';
import { DEFAULT_LIMITS } from './limits.ts';

/** Root fields and Job fields whose answer is the job store's alone (the types under them are values). */
const STORE_ONLY: Record<string, readonly string[]> = {
  Query: ['job', 'jobs'],
  JobConnection: ['edges', 'pageInfo', 'totalCount'],
  JobEdge: ['node', 'cursor'],
  Job: [
    'id',
    'name',
    'task',
    'args',
    'trigger',
    'paused',
    'pausedAt',
    'pausedBy',
    'pauseAfterFailures',
    'exclusions',
    'pauseReason',
    'nextRunTime',
    'coalesce',
    'coalescePolicy',
    'overlap',
    'maxRuns',
    'runCount',
    'remainingRuns',
    'maxInstances',
    'misfireGraceTimeMs',
    'timeoutMs',
    'retry',
    'createdAt',
    'updatedAt',
    'version',
    'upcoming',
    'upcomingRuns',
  ],
};

/** Bodies kept, in characters of JSON (~2 bytes each), and entries kept. */
const MAX_CHARS = 8_000_000;
const MAX_ENTRIES = 1_000;

/** Type name -> the fields a cacheable document may select on it ('all': a value type). */
function storeOnlyFields(schema: GraphQLSchema): Map<string, Set<string> | 'all'> {
  const allowed = new Map<string, Set<string> | 'all'>();
  const addValueType = (type: GraphQLCompositeType) => {
    if (allowed.has(type.name)) return;
    allowed.set(type.name, 'all');
    const members = isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
    for (const member of members) {
      addValueType(member);
      for (const field of Object.values(member.getFields())) {
        const named = getNamedType(field.type);
        if (isCompositeType(named)) addValueType(named);
      }
    }
  };
  allowed.set('PageInfo', 'all');
  for (const [typeName, fields] of Object.entries(STORE_ONLY)) allowed.set(typeName, new Set(fields));
  const job = schema.getType('Job');
  if (!isObjectType(job)) throw new Error('the schema has no Job type');
  for (const name of STORE_ONLY.Job ?? []) {
    const field = job.getFields()[name];
    if (!field) throw new Error(`Job has no field ${name}`);
    const named = getNamedType(field.type);
    if (isCompositeType(named)) addValueType(named);
  }
  return allowed;
}

/** Whether `document`'s operation is a query selecting only store-only fields. */
function readsOnlyJobs(
  schema: GraphQLSchema,
  allowed: Map<string, Set<string> | 'all'>,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const walk = (type: GraphQLCompositeType, set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        const fields = allowed.get(type.name);
        if (fields === undefined || (fields !== 'all' && !fields.has(name))) return false;
        if (isUnionType(type)) return false; // a union selects only __typename
        const field = type.getFields()[name];
        if (!field) return false;
        const named = getNamedType(field.type);
        if (selection.selectionSet && (!isCompositeType(named) || !walk(named, selection.selectionSet)))
          return false;
      } else {
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) return false;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (seen.has(selection.name.value)) continue;
          seen.add(selection.name.value);
        }
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
        if (!condition || !isCompositeType(condition) || !walk(condition, fragment.selectionSet))
          return false;
      }
    }
    return true;
  };
  const root = schema.getQueryType();
  return root !== null && root !== undefined && walk(root, operation.selectionSet);
}

export interface ReadCacheOptions {
  schema: GraphQLSchema;
  /** The job store's change count now; null: the store keeps none, and nothing is cached. */
  changeCount: () => Promise<number> | null;
  /** Who the request is, by the same lookup its context uses. */
  authOf: (request: Request) => Promise<Auth>;
}

interface Pending {
  key: string;
  count: number;
  /** Set when this request computes the body others of the same key and count wait for. */
  computing?: Computing;
}

/** A miss being executed; `settle` gives its body (null: none to share) to those waiting. */
interface Computing {
  count: number;
  body: Promise<string | null>;
  settle: (body: string | null) => void;
}

/** A result whose body is already serialised: Yoga calls `stringify` instead of JSON.stringify. */
function servedResult(body: string): ExecutionResult {
  return { stringify: () => body } as ExecutionResult;
}

/**
 * The variables as key text; null when they cannot be serialised (nested past the stack, which
 * the JSON scalar then refuses as BAD_USER_INPUT): such a request is simply not cached.
 */
function variablesKey(variables: unknown): string | null {
  try {
    return JSON.stringify(variables ?? null);
  } catch {
    return null;
  }
}

export function readCachePlugin(options: ReadCacheOptions): Plugin {
  const allowed = storeOnlyFields(options.schema);
  const cacheable = new WeakMap<DocumentNode, Map<string, boolean>>();
  const pending = new WeakMap<Request, Pending>();
  /** The count every entry was computed at; entries of an older one are dropped at once. */
  let generation = Number.NaN;
  let chars = 0;
  const bodies = new Map<string, string>();
  /**
   * Misses in flight by key. Requests asking the same at the same count wait for the first one's
   * body instead of executing it again: clients walking the same pages (a monitor, a herd after
   * a write) otherwise all miss together, and on a store with a round trip a pass took seconds.
   */
  const computing = new Map<string, Computing>();
  const done = (entry: Pending, body: string | null) => {
    const running = entry.computing;
    if (!running) return;
    entry.computing = undefined;
    if (computing.get(entry.key) === running) computing.delete(entry.key);
    running.settle(body);
  };

  /**
   * Whether a request's text is a query that reads only jobs, parsed once per text, so other
   * requests (mutations, history reads) never wait for the change count: on Redis that is a round
   * trip, and while Redis is away a wait of up to its command timeout before the call that
   * answers UNAVAILABLE. A text past the default token limit is not cached.
   */
  const byText = new Map<string, boolean>();
  const textReadsJobs = (query: string, operationName: string | null | undefined) => {
    const text = `${operationName ?? ''}\n${query}`;
    let answer = byText.get(text);
    if (answer === undefined) {
      try {
        const document = parse(query, { maxTokens: DEFAULT_LIMITS.maxTokens });
        answer = readsOnlyJobs(options.schema, allowed, document, operationName);
      } catch {
        answer = false; // Yoga reports the syntax error itself
      }
      if (byText.size >= MAX_ENTRIES) byText.clear();
      byText.set(text, answer);
    }
    return answer;
  };

  const isCacheable = (document: DocumentNode, operationName: string | null | undefined) => {
    let byName = cacheable.get(document);
    if (!byName) {
      byName = new Map();
      cacheable.set(document, byName);
    }
    let answer = byName.get(operationName ?? '');
    if (answer === undefined) {
      answer = readsOnlyJobs(options.schema, allowed, document, operationName);
      byName.set(operationName ?? '', answer);
    }
    return answer;
  };

  const keep = (entry: Pending, body: string) => {
    if (entry.count !== generation || body.length > MAX_CHARS) return;
    // Oldest first out: a Map iterates in insertion order, and a hit re-inserts its entry.
    for (const [key, old] of bodies) {
      if (chars + body.length <= MAX_CHARS && bodies.size < MAX_ENTRIES) break;
      bodies.delete(key);
      chars -= old.length;
    }
    bodies.set(entry.key, body);
    chars += body.length;
  };

  return {
    async onParams({ params, request, setResult }) {
      if (typeof params.query !== 'string' || params.extensions != null) return;
      if (!textReadsJobs(params.query, params.operationName)) return;
      const counted = options.changeCount();
      if (counted === null) return;
      // A count the store cannot give now (Redis away): the request runs uncached and reports it.
      const [auth, count] = await Promise.all([options.authOf(request), counted.catch(() => null)]);
      if (count === null) return;
      if (auth.scope === null || (auth.via !== 'token' && auth.via !== 'anonymous')) return;
      if (count !== generation) {
        bodies.clear();
        chars = 0;
        generation = count;
      }
      const variables = variablesKey(params.variables);
      if (variables === null) return;
      const key = `${auth.scope}\n${params.operationName ?? ''}\n${variables}\n${params.query}`;
      const body = bodies.get(key);
      if (body !== undefined) {
        bodies.delete(key);
        bodies.set(key, body);
        setResult(servedResult(body));
        return;
      }
      const running = computing.get(key);
      if (running?.count === count) {
        const shared = await running.body;
        if (shared !== null) {
          setResult(servedResult(shared));
          return;
        }
        pending.set(request, { key, count });
        return;
      }
      const entry: Pending = { key, count };
      let settle: (body: string | null) => void = () => {};
      const shared = new Promise<string | null>((resolve) => {
        settle = resolve;
      });
      entry.computing = { count, body: shared, settle };
      computing.set(key, entry.computing);
      pending.set(request, entry);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const entry = request && pending.get(request);
      if (!entry) return;
      if (!isCacheable(args.document, args.operationName)) {
        done(entry, null);
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || result.errors?.length || result.extensions !== undefined) {
            done(entry, null);
            return;
          }
          const body = JSON.stringify(result);
          keep(entry, body);
          done(entry, body);
          setResult({ data: result.data, ...servedResult(body) });
        },
      };
    },
    // Every request ends here, executed or not (refused, failed): nobody waits on it any longer.
    onResponse({ request }) {
      const entry = pending.get(request);
      if (entry) done(entry, null);
    },
  };
}
