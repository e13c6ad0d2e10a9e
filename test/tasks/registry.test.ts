import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/core/errors.ts';
import { createBuiltinRegistry, TaskRegistry } from '../../src/tasks/registry.ts';

const noop = () => {};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe('TaskRegistry', () => {
  it('defines, gets and lists tasks sorted by name', () => {
    const registry = new TaskRegistry();
    const validateArgs = () => {};
    registry.defineTask('report', noop, { description: 'Nightly report', validateArgs });
    registry.define({ name: 'backup', description: 'Backs up', handler: noop });

    expect(registry.get('report')).toMatchObject({
      name: 'report',
      description: 'Nightly report',
      validateArgs,
    });
    expect(registry.get('backup')?.handler).toBe(noop);
    expect(registry.get('missing')).toBeUndefined();
    expect(registry.has('backup')).toBe(true);
    expect(registry.list().map((t) => t.name)).toEqual(['backup', 'report']);
  });

  it('gives defineTask an empty description and no validateArgs by default', () => {
    const definition = new TaskRegistry().defineTask('plain', noop);
    expect(definition).toEqual({ name: 'plain', description: '', handler: noop });
  });

  it('rejects a duplicate name with ConflictError and keeps the first', () => {
    const registry = new TaskRegistry();
    const first = () => 'first';
    registry.defineTask('dup', first);
    expect(() => registry.defineTask('dup', () => 'second')).toThrow(ConflictError);
    expect(() => registry.defineTask('dup', () => 'second')).toThrow('task "dup" is already defined');
    expect(registry.get('dup')?.handler).toBe(first);
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(101)],
    ['a space', 'send mail'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'tâche'],
  ])('rejects a name that is %s', (_label, name) => {
    const registry = new TaskRegistry();
    expect(fieldOf(() => registry.defineTask(name, noop))).toBe('name');
    expect(registry.list()).toEqual([]);
  });

  it('accepts names at the edges of the rules', () => {
    const registry = new TaskRegistry();
    for (const name of ['a', 'a'.repeat(100), 'acme.billing:invoice-run_2', 'A-Z.0:9'])
      registry.defineTask(name, noop);
    expect(registry.list()).toHaveLength(4);
  });

  it('rejects a definition without a handler function', () => {
    const registry = new TaskRegistry();
    const bad = { name: 'nohandler', description: '', handler: undefined } as never;
    expect(fieldOf(() => registry.define(bad))).toBe('handler');
  });

  it('stores a frozen copy, so a definition cannot change after registration', () => {
    const registry = new TaskRegistry();
    const definition = { name: 'frozen', description: 'before', handler: noop };
    registry.define(definition);
    definition.description = 'after';
    expect(registry.get('frozen')?.description).toBe('before');
    expect(Object.isFrozen(registry.get('frozen'))).toBe(true);
  });
});

describe('createBuiltinRegistry', () => {
  it('holds the http and log tasks, each with a description and args validation', () => {
    const registry = createBuiltinRegistry();
    expect(registry.list().map((t) => t.name)).toEqual(['http', 'log']);
    for (const task of registry.list()) {
      expect(task.description.length).toBeGreaterThan(0);
      expect(typeof task.validateArgs).toBe('function');
    }
  });

  it('returns an independent registry each time', () => {
    const a = createBuiltinRegistry();
    a.defineTask('custom', noop);
    expect(createBuiltinRegistry().get('custom')).toBeUndefined();
  });
});
