/**
 * After the I/O callbacks of this turn of the event loop: setImmediate where the runtime has it
 * (Node, Bun, Deno 2), else the next timer turn. Taken at load, so a test's fake timers cannot
 * hold it.
 */
const immediate = globalThis.setImmediate;

export const nextTurn: (fn: () => void) => void =
  typeof immediate === 'function' ? (fn) => void immediate(fn) : (fn) => void setTimeout(fn, 0);
