/** A page of a list read through a port (ports.ts). */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  /** Opaque; pass as `after` to get the next page. Null when `items` is empty. */
  endCursor: string | null;
}
