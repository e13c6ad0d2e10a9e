/**
 * Relay connections over the ports' pages. The relay plugin builds the types (connectionObject in
 * job.ts and execution.ts, PageInfo); this file gives them their values, because the plugin's own
 * resolvers page over offsets or whole arrays and the ports page with their own cursors. The ports
 * give one cursor per page (after its last item), so an edge's cursor names the page's start and
 * the item's position and id: continuing from it reads from the page's start and resumes right
 * after that item, found by id, so rows added meanwhile do not shift it. `pageInfo.endCursor` is
 * the port's own cursor and costs nothing.
 */
import { ValidationError } from '../core/errors.ts';
import type { Page } from '../core/ports.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** How far into a page a mid-page cursor may point before it must be the page's end cursor. */
const MAX_SKIP = 2 * MAX_PAGE_SIZE;

interface CursorData {
  /** The port cursor where the page started (null: the beginning). */
  a: string | null;
  /** Position after the item, counted from `a`; absent for a port end cursor. */
  n?: number;
  id?: string;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function encodeCursor(data: CursorData): string {
  return toBase64Url(JSON.stringify(data));
}

export function decodeCursor(cursor: string, field = 'after'): CursorData {
  const invalid = () => new ValidationError(field, 'is not a cursor returned by this list');
  let data: unknown;
  try {
    data = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw invalid();
  }
  if (typeof data !== 'object' || data === null) throw invalid();
  const { a, n, id } = data as Record<string, unknown>;
  if (a !== null && typeof a !== 'string') throw invalid();
  if (n === undefined && id === undefined) return { a };
  if (!Number.isSafeInteger(n) || (n as number) < 1 || typeof id !== 'string') throw invalid();
  if ((n as number) > MAX_SKIP)
    throw new ValidationError(field, 'points too far into a page: continue from pageInfo.endCursor');
  return { a, n: n as number, id };
}

export interface PageSize {
  default: number;
  max: number;
}

export const PAGE_SIZE: PageSize = { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE };
/**
 * A list inside a list (Job.executions under jobs) multiplies: keep it small. graphql-armor's cost
 * limit only sees `first` when it is written as a literal, so the cap here is what bounds it.
 */
export const NESTED_PAGE_SIZE: PageSize = { default: 10, max: 100 };

export function requireFirst(first: number | null | undefined, size: PageSize = PAGE_SIZE): number {
  const value = first ?? size.default;
  if (!Number.isInteger(value) || value < 0 || value > size.max)
    throw new ValidationError('first', `must be between 0 and ${size.max}, got ${value}`);
  return value;
}

/** An edge whose cursor is encoded only when a client asks for it. */
export class Edge<T> {
  readonly node: T;
  private readonly position: CursorData;
  private encoded: string | undefined;

  constructor(node: T, position: CursorData) {
    this.node = node;
    this.position = position;
  }

  get cursor(): string {
    this.encoded ??= encodeCursor(this.position);
    return this.encoded;
  }
}

export interface PageInfoShape {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfoShape;
}

/** The rows of one port page from `start`, each with the cursor that resumes after it. */
function rowsOf<T extends { id: string }>(page: Page<T>, from: string | null, start: number): Edge<T>[] {
  const last = page.items.length - 1;
  return page.items.slice(start).map((node, offset) => {
    const i = start + offset;
    return new Edge(node, i === last ? { a: page.endCursor } : { a: from, n: i + 1, id: node.id });
  });
}

/** One page of a port list as a connection. `fetch(after, first)` is the port's list call. */
export async function paginate<T extends { id: string }>(
  fetch: (after: string | null, first: number) => Promise<Page<T>>,
  firstArg: number | null | undefined,
  afterArg: string | null | undefined,
  size: PageSize = PAGE_SIZE,
): Promise<Connection<T>> {
  const first = requireFirst(firstArg, size);
  const cursor = afterArg == null ? { a: null } : decodeCursor(afterArg);
  const skip = cursor.n ?? 0;
  const page = await fetch(cursor.a, skip + first);
  let start = 0;
  if (cursor.n !== undefined) {
    const found = page.items.findIndex((item) => item.id === cursor.id);
    // Not found: removed meanwhile; its old position is the best guess.
    start = found === -1 ? Math.min(skip, page.items.length) : found + 1;
  }
  let edges = rowsOf(page, cursor.a, start);
  let hasNextPage = page.hasNextPage;
  if (edges.length > first) {
    edges = edges.slice(0, first);
    hasNextPage = true;
  } else if (edges.length < first && page.hasNextPage && page.endCursor !== null) {
    // Rows added before the cursor's item pushed some of this page past what was read: read on.
    const more = await fetch(page.endCursor, first - edges.length);
    edges = edges.concat(rowsOf(more, page.endCursor, 0));
    hasNextPage = more.hasNextPage;
  }
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: afterArg != null,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}
