/**
 * A min-heap of keys by score (like a Redis sorted set, without range queries): set, delete and
 * peek the lowest in O(log n). Equal scores order by key, as ZRANGEBYSCORE does, so the memory and
 * Redis stores hand out ties in the same order.
 */
export interface Scored {
  key: string;
  score: number;
}

export class ScoreIndex {
  private heap: Scored[] = [];
  private positions = new Map<string, number>();

  get size(): number {
    return this.heap.length;
  }

  has(key: string): boolean {
    return this.positions.has(key);
  }

  score(key: string): number | undefined {
    const at = this.positions.get(key);
    return at === undefined ? undefined : this.heap[at]?.score;
  }

  /** Insert the key or move it to a new score. */
  set(key: string, score: number): void {
    const at = this.positions.get(key);
    if (at === undefined) {
      this.heap.push({ key, score });
      this.positions.set(key, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const entry = this.heap[at] as Scored;
    const old = entry.score;
    entry.score = score;
    if (score < old) this.up(at);
    else this.down(at);
  }

  delete(key: string): boolean {
    const at = this.positions.get(key);
    if (at === undefined) return false;
    const last = this.heap.pop() as Scored;
    this.positions.delete(key);
    if (at < this.heap.length) {
      this.heap[at] = last;
      this.positions.set(last.key, at);
      this.down(at);
      this.up(at);
    }
    return true;
  }

  /** How many keys score at most `score`: O(that many), walking only the heap's entries under it. */
  countUpTo(score: number): number {
    let count = 0;
    const stack = this.heap.length > 0 ? [0] : [];
    for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
      const entry = this.heap[at];
      if (entry === undefined || entry.score > score) continue;
      count++;
      stack.push(2 * at + 1, 2 * at + 2);
    }
    return count;
  }

  peek(): Scored | undefined {
    const top = this.heap[0];
    return top && { key: top.key, score: top.score };
  }

  private less(a: Scored, b: Scored): boolean {
    return a.score < b.score || (a.score === b.score && a.key < b.key);
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i] as Scored, this.heap[parent] as Scored)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.less(this.heap[left] as Scored, this.heap[smallest] as Scored))
        smallest = left;
      if (right < this.heap.length && this.less(this.heap[right] as Scored, this.heap[smallest] as Scored))
        smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a] as Scored;
    const y = this.heap[b] as Scored;
    this.heap[a] = y;
    this.heap[b] = x;
    this.positions.set(y.key, a);
    this.positions.set(x.key, b);
  }
}
