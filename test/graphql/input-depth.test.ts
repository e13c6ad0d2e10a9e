/**
 * JSON input nested absurdly deep (10,000 levels) is a BAD_USER_INPUT naming the limit, never a
 * stack overflow masked as an internal error, and nothing is stored. Bodies are written by hand:
 * JSON.stringify itself overflows on such values.
 */
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import { MAX_JSON_DEPTH, requireJson } from '../../src/core/validate.ts';
import { MAX_DOCUMENT_NESTING, nestsDeeperThan } from '../../src/graphql/limits.ts';
import { createTestApp, type GraphQLResponse, type TestApp, TOKENS, YEARLY } from './harness.ts';

const DEEP = 10_000;

/** JSON text of `levels` nested objects (`{"a":{"a":...1}}`) or arrays (`[[...1]]`). */
function nestedJson(levels: number, shape: 'object' | 'array'): string {
  return shape === 'object'
    ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`
    : `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

/** The same value as a GraphQL literal. */
function nestedLiteral(levels: number, shape: 'object' | 'array'): string {
  return shape === 'object'
    ? `${'{a: '.repeat(levels)}1${'}'.repeat(levels)}`
    : `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

function nestedValue(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const ADD_WITH_VARIABLE = `mutation($args: JSON) {
  addJob(input: { id: "deep", task: "test", args: $args, trigger: { cron: { expression: "0 0 1 1 *" } } }) { id }
}`;

function addWithLiteral(literal: string): string {
  return `mutation { addJob(input: { id: "deep", task: "test", args: ${literal}, trigger: { cron: { expression: "0 0 1 1 *" } } }) { id } }`;
}

/** POST a body given as JSON text. */
async function post(app: TestApp, body: string): Promise<GraphQLResponse> {
  const response = await app.yoga.fetch('http://kairos.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${TOKENS.admin}`,
    },
    body,
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse, 'status'>) };
}

function withVariable(query: string, name: string, valueJson: string): string {
  return `{"query":${JSON.stringify(query)},"variables":{${JSON.stringify(name)}:${valueJson}}}`;
}

async function expectNothingStored(app: TestApp): Promise<void> {
  expect(await app.store.count()).toBe(0);
  expect((await app.log.list({ first: 10 })).items).toEqual([]);
}

function expectDepthError(result: GraphQLResponse): void {
  expect(result.errors).toHaveLength(1);
  const error = result.errors![0]!;
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error.message).toContain(`at most ${MAX_JSON_DEPTH} levels deep`);
  expect(result.data ?? null).toBeNull();
}

describe('JSON input depth', () => {
  test.each(['object', 'array'] as const)(
    `a variable of ${DEEP} nested %ss is BAD_USER_INPUT`,
    async (shape) => {
      await using app = createTestApp();
      const result = await post(app, withVariable(ADD_WITH_VARIABLE, 'args', nestedJson(DEEP, shape)));
      expectDepthError(result);
      await expectNothingStored(app);
    },
  );

  test.each(['object', 'array'] as const)(
    `an inline literal of ${DEEP} nested %ss is BAD_USER_INPUT`,
    async (shape) => {
      await using app = createTestApp();
      const result = await app.request(addWithLiteral(nestedLiteral(DEEP, shape)));
      expect(result.status).toBe(400);
      expectDepthError(result);
      expect(result.errors?.[0]?.message).toContain(`at most ${MAX_DOCUMENT_NESTING} levels`);
      await expectNothingStored(app);
    },
  );

  test(`the literal is refused before parsing, whatever the token limit`, async () => {
    // graphql-js's parser recurses: with the token limit out of the way it would overflow the stack.
    await using app = createTestApp({ limits: { maxTokens: 1_000_000 } });
    const result = await app.request(addWithLiteral(nestedLiteral(DEEP, 'object')));
    expectDepthError(result);
    await expectNothingStored(app);
  });

  test('a literal the document limit lets through is refused by the JSON scalar', async () => {
    await using app = createTestApp();
    const result = await app.request(addWithLiteral(nestedLiteral(MAX_DOCUMENT_NESTING - 10, 'object')));
    expectDepthError(result);
    expect(result.errors?.[0]?.message).toMatch(/^JSON value nested too deeply/);
    await expectNothingStored(app);
  });

  test('braces and brackets inside strings and comments do not count', () => {
    const deep = '{'.repeat(DEEP);
    const document = `# ${deep}\nmutation { a(s: "${deep}\\"${deep}", b: """${deep}\\"""${deep}""") }`;
    expect(nestsDeeperThan(document, 2)).toBe(false);
    expect(nestsDeeperThan('{ a { b { c } } }', 2)).toBe(true);
    expect(nestsDeeperThan('{ a { b } } { c { d } }', 2)).toBe(false);
  });

  test(`${MAX_JSON_DEPTH} levels pass, ${MAX_JSON_DEPTH + 1} do not, as a variable and as a literal`, async () => {
    await using app = createTestApp();
    const atLimit = await post(
      app,
      withVariable(ADD_WITH_VARIABLE, 'args', nestedJson(MAX_JSON_DEPTH, 'object')),
    );
    expect(atLimit.errors).toBeUndefined();
    expect((await app.store.get('deep'))?.args).toEqual(nestedValue(MAX_JSON_DEPTH));
    await app.service.removeJob('deep');

    const literal = await app.request(addWithLiteral(nestedLiteral(MAX_JSON_DEPTH, 'array')));
    expect(literal.errors).toBeUndefined();
    await app.service.removeJob('deep');

    expectDepthError(
      await post(app, withVariable(ADD_WITH_VARIABLE, 'args', nestedJson(MAX_JSON_DEPTH + 1, 'object'))),
    );
    expectDepthError(await app.request(addWithLiteral(nestedLiteral(MAX_JSON_DEPTH + 1, 'object'))));
    await expectNothingStored(app);
  });

  test('a variable inside a literal counts with the literal around it', async () => {
    await using app = createTestApp();
    const query = `mutation($v: JSON) { addJob(input: { id: "deep", task: "test", args: { wrap: [$v] },
      trigger: { cron: { expression: "0 0 1 1 *" } } }) { id } }`;
    // $v alone is within the limit; wrapped in two more levels it is not (the core says so).
    const result = await post(app, withVariable(query, 'v', nestedJson(MAX_JSON_DEPTH - 1, 'object')));
    expectDepthError(result);
    expect(result.errors?.[0]?.extensions?.field).toBe(`args.wrap[0]${'.a'.repeat(MAX_JSON_DEPTH - 2)}`);
    await expectNothingStored(app);
  });

  test(`updateJob refuses ${DEEP}-level args and keeps the stored ones`, async () => {
    await using app = createTestApp();
    await app.data(
      'mutation($t: TriggerInput!) { addJob(input: { id: "deep", task: "test", trigger: $t }) { id } }',
      {
        t: YEARLY,
      },
    );
    const query = 'mutation($args: JSON) { updateJob(id: "deep", input: { args: $args }) { id } }';
    expectDepthError(await post(app, withVariable(query, 'args', nestedJson(DEEP, 'object'))));
    expect((await app.store.get('deep'))?.args).toEqual({});
  });
});

describe('requireJson (the core check behind every way in: GraphQL, the jobs file, code)', () => {
  test(`${DEEP} levels are a ValidationError naming the limit, without recursion`, () => {
    let error: unknown;
    try {
      requireJson('args', nestedValue(DEEP), 64 * 1024);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`at most ${MAX_JSON_DEPTH} levels deep`);
    expect((error as ValidationError).field).toBe(`args${'.a'.repeat(MAX_JSON_DEPTH)}`);
  });

  test('the other checks still report the first problem in document order', () => {
    const cyclic: Record<string, unknown> = { ok: [1, 'two', null, { three: true }] };
    cyclic.self = cyclic;
    expect(() => requireJson('args', cyclic, 1_000)).toThrow('args.self: is not JSON (a circular reference)');
    expect(() => requireJson('args', { a: [1, Number.NaN], b: undefined }, 1_000)).toThrow(
      'args.a[1]: is not JSON (NaN)',
    );
    expect(() => requireJson('args', { a: new Date(0) }, 1_000)).toThrow(
      'args.a: is not JSON (not a plain object)',
    );
    const shared = { x: 1 };
    expect(requireJson('args', { a: shared, b: shared }, 1_000)).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});
