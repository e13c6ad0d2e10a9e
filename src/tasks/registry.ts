/**
 * Tasks registered by name. The scheduler and the API see it only as a TaskResolver; code that
 * composes the app registers its own tasks next to the built-ins with `defineTask`.
 */
import { ConflictError, ValidationError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import type { TaskDefinition, TaskHandler, TaskResolver } from '../core/task.ts';
import { createHttpTask } from './http.ts';
import { DEFAULT_CONNECTIONS_PER_ORIGIN, defaultTransport } from './http-transport.ts';
import { logTask } from './log.ts';

// Names appear in job definitions, GraphQL and metrics: keep them to a safe, printable alphabet.
const TASK_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface DefineTaskOptions {
  description?: string;
  /** Checks args when a job is added or updated; throws ValidationError (field `args...`). */
  validateArgs?: (args: JsonValue) => void;
}

export class TaskRegistry implements TaskResolver {
  private readonly tasks = new Map<string, TaskDefinition>();

  /** Register a task. Throws ValidationError for a bad name, ConflictError for a name already taken. */
  define(definition: TaskDefinition): TaskDefinition {
    const { name } = definition;
    if (typeof name !== 'string' || !TASK_NAME.test(name)) {
      throw new ValidationError('name', 'must be 1-100 characters of letters, digits, "_", ".", ":" or "-"');
    }
    if (typeof definition.handler !== 'function') {
      throw new ValidationError('handler', `task "${name}" needs a handler function`);
    }
    if (this.tasks.has(name)) throw new ConflictError(`task "${name}" is already defined`);
    const frozen = Object.freeze({ ...definition });
    this.tasks.set(name, frozen);
    return frozen;
  }

  /** `defineTask('report', handler, { description })`: the short form of define. */
  defineTask(name: string, handler: TaskHandler, options: DefineTaskOptions = {}): TaskDefinition {
    const definition: TaskDefinition = { name, description: options.description ?? '', handler };
    if (options.validateArgs) definition.validateArgs = options.validateArgs;
    return this.define(definition);
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name);
  }

  has(name: string): boolean {
    return this.tasks.has(name);
  }

  /** Sorted by name, so listings are stable. */
  list(): TaskDefinition[] {
    return [...this.tasks.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** A registry holding the built-in tasks (`http`, `log`); add your own with `defineTask`. */
export interface BuiltinOptions {
  /** The http task's connection limit per origin (Node). */
  httpConnectionsPerOrigin?: number;
  /** The http task sends `traceparent` (traces are exported: OTEL_EXPORTER_OTLP_ENDPOINT). */
  traceparent?: boolean;
}

export function createBuiltinRegistry(options: BuiltinOptions = {}): TaskRegistry {
  const registry = new TaskRegistry();
  const connectionsPerOrigin = options.httpConnectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN;
  registry.define(
    createHttpTask(defaultTransport({ connectionsPerOrigin }), { traceparent: options.traceparent ?? false }),
  );
  registry.define(logTask);
  return registry;
}
