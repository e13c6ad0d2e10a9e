/**
 * Job ids in ascending order, for the memory job store's pages: a page starts with a binary
 * search for its cursor and reads on in order, so no request sorts or copies the whole set.
 */
export class SortedIds {
  private readonly ids: string[] = [];

  get length(): number {
    return this.ids.length;
  }

  at(index: number): string {
    return this.ids[index] as string;
  }

  insert(id: string): void {
    const at = this.lowerBound(id);
    if (this.ids[at] !== id) this.ids.splice(at, 0, id);
  }

  delete(id: string): void {
    const at = this.lowerBound(id);
    if (this.ids[at] === id) this.ids.splice(at, 1);
  }

  /** Index of the first id after `after` (the start when null). */
  startAfter(after: string | null): number {
    if (after === null) return 0;
    const at = this.lowerBound(after);
    return this.ids[at] === after ? at + 1 : at;
  }

  /** First index whose id is >= `id`. */
  private lowerBound(id: string): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ids[mid] as string) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
