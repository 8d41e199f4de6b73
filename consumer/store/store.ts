/**
 * The object store: where the lake's files go. Two implementations with one contract:
 * `LocalStore` (a folder; atomic rename) and `S3Store` (S3 or an S3-compatible server).
 *
 * The contract the exactly-once protocol relies on:
 * - `put` is atomic and durable when it resolves: a reader sees the whole object or none,
 *   and a crash after it resolved does not lose it; putting the same key again replaces it.
 *   `putFile` is the same with the bytes of a local file (the sink's spool), which it does
 *   not change or remove, so a failed put can be tried again from the same file.
 * - `delete` of a missing key succeeds (recovery may delete what was never written).
 * - `list` returns every key that starts with the prefix, in any order; `listInfo` the same
 *   keys with their size and last-modified time (compaction tells closed partitions by age).
 * Keys are `/`-separated paths relative to the lake root, the same for both stores.
 */
export interface ObjectStore {
  /** For logs: `file:///abs/lake` or `s3://bucket/prefix`. */
  readonly url: string;
  put(key: string, body: Uint8Array): Promise<void>;
  putFile(key: string, path: string): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  listInfo(prefix: string): Promise<ObjectInfo[]>;
  close(): Promise<void>;
}

/** One listed object: its key (relative to the lake root), size and last-modified time. */
export interface ObjectInfo {
  readonly key: string;
  readonly bytes: number;
  readonly modifiedMs: number;
}

export function isS3Url(root: string): boolean {
  return root.startsWith('s3://');
}

/** `s3://bucket/some/prefix/` -> { bucket, prefix: 'some/prefix' } */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`not an s3://bucket[/prefix] URL: ${url}`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
