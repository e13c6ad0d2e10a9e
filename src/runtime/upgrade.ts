/**
 * The Host and Origin rules for a WebSocket upgrade that arrives as a web Request (Bun.serve,
 * Deno.serve): a refusal is answered before the upgrade, like node.ts's verifyClient does.
 */
import type { App } from '../app.ts';

export function refuseUpgrade(app: App, request: Request): Response | null {
  const refusal = app.perimeter.refuseUpgrade({
    origin: request.headers.get('origin'),
    host: request.headers.get('host') ?? new URL(request.url).host,
  });
  if (!refusal) return null;
  return new Response(refusal.message, {
    status: refusal.status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}
