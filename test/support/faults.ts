/**
 * Port failures on demand: wraps an adapter so that any async method can fail before it runs (the
 * store never saw the call) or after (it ran, but the reply was lost), as a seeded random draw.
 */
export type FaultKind = 'none' | 'before' | 'lost-reply';

export interface FaultPlan {
  /** Decides the fate of one call. */
  draw(port: string, method: string): FaultKind;
}

export class PortFault extends Error {
  constructor(port: string, method: string, kind: FaultKind) {
    super(`injected ${kind} failure of ${port}.${method}`);
    this.name = 'PortFault';
  }
}

/** A proxy of `target` whose async methods fail as `plan` decides; `exempt` methods never fail. */
export function withFaults<T extends object>(
  port: string,
  target: T,
  plan: FaultPlan,
  exempt: string[] = [],
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || exempt.includes(property))
        return value;
      return (...args: unknown[]) => {
        const kind = plan.draw(port, property);
        if (kind === 'before') return Promise.reject(new PortFault(port, property, kind));
        const result = value.apply(object, args);
        if (kind === 'lost-reply' && result instanceof Promise) {
          return result.then(
            () => Promise.reject(new PortFault(port, property, kind)),
            () => Promise.reject(new PortFault(port, property, kind)),
          );
        }
        return result;
      };
    },
  });
}

/** Small seeded PRNG (mulberry32), so a failing case replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fails each call with probability `rate` (half before, half after) while `enabled`. */
export class RandomFaults implements FaultPlan {
  enabled = true;
  injected = 0;
  private readonly random: () => number;
  private readonly rate: number;

  constructor(seed: number, rate: number) {
    this.random = seededRandom(seed);
    this.rate = rate;
  }

  draw(): FaultKind {
    if (!this.enabled) return 'none';
    const r = this.random();
    if (r >= this.rate) return 'none';
    this.injected++;
    return r < this.rate / 2 ? 'before' : 'lost-reply';
  }
}
