/**
 * Where uploaded files (XEP-0363) are kept: a seam with a filesystem implementation in
 * `adapters/hono_websocket/fs_file_store.ts`. An S3-compatible store would implement the same
 * interface (TODO(#12): not written yet).
 *
 * @module
 */

/** What is known of a stored file. */
export interface StoredFileInfo {
  /** Its content type, as the uploader declared it. */
  readonly contentType: string;
  /** Its size in bytes. */
  readonly size: number;
  /** When it was stored. */
  readonly created: Date;
}

/** A stored file, ready to be streamed. */
export interface StoredFile extends StoredFileInfo {
  /** The bytes. The reader must consume or cancel it. */
  readonly body: ReadableStream<Uint8Array>;
}

/** Bytes `start` to `end` of a file, both included (RFC 9110 §14.1.2). */
export interface ByteRange {
  /** The first byte. */
  readonly start: number;
  /** The last byte. */
  readonly end: number;
}

/** Stores uploaded files by key (`<slot id>/<filename>`, a filename checked already). */
export interface FileStore {
  /**
   * Stores a file from a stream of exactly `info.size` bytes. Nothing is kept when the stream
   * fails, is shorter or is longer.
   *
   * @returns `"exists"` when the key is taken (a slot is used once), else `"stored"`.
   * @throws {RangeError} When the stream's length is not `info.size`.
   */
  put(
    key: string,
    body: ReadableStream<Uint8Array>,
    info: { readonly contentType: string; readonly size: number; readonly created: Date },
  ): Promise<"stored" | "exists">;
  /** What is known of the file, or `undefined` (nothing is opened). */
  head(key: string): Promise<StoredFileInfo | undefined>;
  /**
   * The file, or `undefined`; with `range`, `body` holds only bytes `start` to `end`
   * (inclusive, within the file) while `size` stays the file's size.
   */
  get(key: string, range?: ByteRange): Promise<StoredFile | undefined>;
  /** Removes files stored before `cutoff`. @returns How many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}
