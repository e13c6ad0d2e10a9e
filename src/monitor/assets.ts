/**
 * Static files over HTTP: gzip when the client takes it, strong ETags, 304 on a match.
 * Web-standard APIs only (CompressionStream, crypto.subtle), so Node, Bun and Deno serve the
 * same bytes; the files are read through the runtime's platform, the one place that may touch
 * the file system.
 *
 * A file is read, hashed and compressed once, on its first request, and kept for the life of the
 * process: the monitor is a few hundred KB of text, and the files only change with a deploy.
 */

/** What the assets need from the runtime (a subset of the app's Platform). */
export interface TextFiles {
  readTextFile(path: string): Promise<string>;
}

export interface AssetFile {
  /** Where it is on disk. */
  path: string;
  contentType: string;
}

export interface Prepared {
  identity: Uint8Array<ArrayBuffer>;
  /** null when compressing would not pay (small files). */
  gzip: Uint8Array<ArrayBuffer> | null;
  /** Quoted, without the encoding suffix. */
  tag: string;
  contentType: string;
}

/** Below this, gzip's header and the CPU cost more than the bytes saved. */
const COMPRESS_FROM_BYTES = 1024;

/**
 * `no-cache` means "revalidate each time", not "do not store": a reload costs one 304 per file.
 * The URLs carry no content hash, so a longer max-age would keep an old page after an upgrade.
 */
const CACHE_CONTROL = 'no-cache';

export type AssetServer = (request: Request, path: string) => Promise<Response | null>;

/** Answers the paths in `files`; any other path is null (the caller's 404). */
export function createAssetServer(files: ReadonlyMap<string, AssetFile>, fs: TextFiles): AssetServer {
  const prepared = new Map<string, Promise<Prepared>>();
  const load = (path: string, file: AssetFile): Promise<Prepared> => {
    let entry = prepared.get(path);
    if (entry === undefined) {
      entry = prepare(file, fs);
      // A failed read is tried again on the next request, not remembered.
      entry.catch(() => prepared.delete(path));
      prepared.set(path, entry);
    }
    return entry;
  };

  return async (request, path) => {
    const file = files.get(path);
    if (file === undefined) return null;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    return assetResponse(request, await load(path, file));
  };
}

/** A prepared asset as the answer to a GET or HEAD: 304 on a matching tag, gzip when taken. */
export function assetResponse(request: Request, asset: Prepared): Response {
  const gzip = asset.gzip !== null && acceptsGzip(request.headers.get('accept-encoding'));
  const etag = gzip ? `${asset.tag.slice(0, -1)}.gz"` : asset.tag;
  const headers: Record<string, string> = {
    etag,
    'cache-control': CACHE_CONTROL,
    vary: 'Accept-Encoding',
    'content-type': asset.contentType,
    'x-content-type-options': 'nosniff',
  };
  if (matches(request.headers.get('if-none-match'), asset.tag)) {
    return new Response(null, { status: 304, headers });
  }
  const body = gzip ? (asset.gzip as Uint8Array<ArrayBuffer>) : asset.identity;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.byteLength);
  return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
}

async function prepare(file: AssetFile, fs: TextFiles): Promise<Prepared> {
  return prepareText(await fs.readTextFile(file.path), file.contentType);
}

/** Hashed and compressed once; serve it with assetResponse. */
export async function prepareText(text: string, contentType: string): Promise<Prepared> {
  const identity = new TextEncoder().encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', identity));
  const tag = `"${btoa(String.fromCharCode(...digest.subarray(0, 12)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')}"`;
  const gzip = identity.byteLength >= COMPRESS_FROM_BYTES ? await compress(identity) : null;
  return { identity, gzip, tag, contentType };
}

async function compress(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Whether Accept-Encoding takes gzip (by name or `*`) with a non-zero q. */
export function acceptsGzip(header: string | null): boolean {
  if (header === null) return false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * If-None-Match against either representation's tag: both are the same file, so a cached gzip
 * copy is as fresh as a cached plain one. Weak comparison, as RFC 9110 asks for this header.
 */
function matches(header: string | null, tag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const bare = tag.slice(1, -1);
  return header.split(',').some((candidate) => {
    const value = candidate.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return value === bare || value === `${bare}.gz`;
  });
}
