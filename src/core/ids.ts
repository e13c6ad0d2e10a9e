/**
 * UUIDv7 (RFC 9562): time-ordered, so execution ids sort roughly by creation and index well.
 * Web Crypto only, so it runs unchanged on Node, Bun and Deno.
 */

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
// Random bytes are drawn for 256 ids at a time: one getRandomValues call per id was ~5 % of a
// burst's CPU (as crypto.randomUUID, which also draws from a cached pool).
const POOL = new Uint8Array(10 * 256);
let offset = POOL.length;

export function uuidv7(now: number = Date.now()): string {
  if (offset === POOL.length) {
    crypto.getRandomValues(POOL);
    offset = 0;
  }
  const r = POOL.subarray(offset, offset + 10);
  offset += 10;
  const ms = Math.floor(now).toString(16).padStart(12, '0').slice(-12);
  const h = (i: number) => HEX[r[i] as number] as string;
  const version = HEX[((r[0] as number) & 0x0f) | 0x70] as string;
  const variant = HEX[((r[2] as number) & 0x3f) | 0x80] as string;
  return `${ms.slice(0, 8)}-${ms.slice(8)}-${version}${h(1)}-${variant}${h(3)}-${h(4)}${h(5)}${h(6)}${h(7)}${h(8)}${h(9)}`;
}
