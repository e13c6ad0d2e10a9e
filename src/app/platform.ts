/** What the app needs from the file system; each runtime provides it (src/runtime/fs-platform.ts). */
export interface Platform {
  readTextFile(path: string): Promise<string>;
  /** mkdir -p */
  makeDirectory(path: string): Promise<void>;
}
