/**
 * Web streams over a `node:net` socket, detachable for a STARTTLS upgrade. Private.
 *
 * @module
 */

import type * as net from "node:net";
import type { Buffer } from "node:buffer";
import type { ByteChannel } from "../../src/base/transport.ts";

/** Bytes read ahead of the consumer before the socket is paused. */
const READ_AHEAD_BYTES = 64 * 1024;

/** The native stream handle of a `node:net` socket (private Node API, also in Deno). */
interface StreamHandle {
  readStart(): number;
  readStop(): number;
}

/** `socket._handle`, when it can start and stop reading. */
function streamHandle(socket: net.Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  return typeof handle?.readStart === "function" && typeof handle.readStop === "function"
    ? handle as StreamHandle
    : undefined;
}

/** Options of {@linkcode socketStreams}. */
export interface SocketStreamsOptions {
  /**
   * The raw socket under `socket` when `socket` is a `node:tls` socket made over it: reading
   * from it is paused and resumed with `socket`'s (see `SocketChannel.#pause`).
   */
  readonly under?: net.Socket;
}

/** A socket's streams, and the means to take the socket back. */
export interface SocketStreams {
  /**
   * Bytes from the peer; ends when the peer ends or the socket closes, errors on an error.
   * Built on first use, over `channel`.
   */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Bytes to the peer; a write resolves once the socket has taken the chunk. Built on first
   * use, over `channel`.
   */
  readonly writable: WritableStream<Uint8Array>;
  /** The same without web streams; its consumer uses either it or the streams. */
  readonly channel: ByteChannel;
  /** Whether the readable or the writable is locked to a reader or a writer. */
  readonly locked: boolean;
  /**
   * Stops both streams using the socket (they error with `reason`), pauses it, and returns
   * the bytes read from it that the consumer has not read yet, oldest first.
   */
  detach(reason: Error): Uint8Array[];
  /**
   * For closing: reads and drops whatever still arrives, so that the peer's FIN is seen even
   * though nobody reads any more.
   */
  drain(): void;
}

/**
 * Wraps `socket` in a {@linkcode ByteChannel}, and in a readable and a writable stream over
 * it when they are asked for.
 *
 * Reading keeps its own read-ahead queue, so that bytes the consumer has not read can be
 * handed back by `detach()` and reach the TLS layer instead of being lost; the readable's own
 * queue stays empty (highWaterMark 0). An idle connection read through the channel holds one
 * pending promise: no web stream, reader or read request (#16: resident memory per idle
 * connection).
 *
 * @param socket A connected socket, in flowing or paused mode.
 * @param options The raw socket under a TLS socket.
 * @returns The streams.
 */
export function socketStreams(
  socket: net.Socket,
  options: SocketStreamsOptions = {},
): SocketStreams {
  return new SocketChannel(socket, options.under);
}

/** What a pending read settles. */
interface Waiting {
  resolve(chunk: Uint8Array | undefined): void;
  reject(error: unknown): void;
}

/**
 * The channel and streams of one socket. A class, not closures over an object literal: an
 * idle connection holds one, and its methods live on the prototype (#16).
 */
class SocketChannel implements SocketStreams, ByteChannel {
  readonly #socket: net.Socket;
  readonly #under: net.Socket | undefined;
  #stopped: StreamHandle | undefined;
  #unread: Uint8Array[] = [];
  #unreadBytes = 0;
  /** The consumer waits in read(): the next chunk goes straight to it. */
  #waiting: Waiting | undefined;
  #ended = false; // the peer sent FIN or the socket closed
  #cancelled = false; // the consumer stopped reading
  #failure: { error: unknown } | undefined; // reads fail with this (socket error, detach)
  #writeFailure: Error | undefined; // writes fail with this (close, detach)
  #pendingWrite: ((error: Error) => void) | undefined;
  #draining = false; // closing: what arrives is dropped
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  constructor(socket: net.Socket, under: net.Socket | undefined) {
    this.#socket = socket;
    this.#under = under;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  readonly #onData = (chunk: Buffer) => {
    if (this.#draining) return;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve(bytes);
      return;
    }
    if (this.#failure) return;
    this.#unread.push(bytes);
    this.#unreadBytes += bytes.byteLength;
    if (this.#unreadBytes >= READ_AHEAD_BYTES) this.#pause();
  };

  readonly #onEnd = () => {
    this.#ended = true;
    this.#endRead();
  };

  readonly #onError = (error: Error) => this.#fail(error);

  readonly #onClose = () => {
    this.#onEnd();
    const closed = new Error("Cannot write: the connection is closed");
    this.#writeFailure ??= closed;
    this.#pendingWrite?.(closed);
  };

  #endRead(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    waiting.resolve(undefined);
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#cancelled) return;
    this.#failure = { error };
    this.#unread = [];
    this.#unreadBytes = 0;
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    waiting.reject(error);
  }

  /**
   * Pauses and resumes reading from `socket`, and, when `socket` is a TLS socket made over
   * `under`, from the kernel socket under it.
   *
   * Deno's `node:tls` (2.9) hands the raw socket's native handle to its `TLSWrap`, which feeds
   * every chunk the handle reads into the TLS session. Pausing the TLS socket only stops the
   * cleartext it emits; the raw handle keeps reading, and what it reads piles up inside the
   * TLSWrap (measured: a paused TLS socket took 800 MiB in 3 s). Pausing the raw `net.Socket`
   * does nothing either: its data no longer goes through it. So the raw handle itself is stopped,
   * which leaves unread bytes in the kernel and lets TCP flow control slow the peer down.
   */
  #pause(): void {
    this.#socket.pause();
    const under = this.#under;
    if (!under || this.#stopped || under.destroyed) return;
    this.#stopped = streamHandle(under);
    this.#stopped?.readStop();
  }

  #resume(): void {
    this.#socket.resume();
    const handle = this.#stopped;
    if (!handle) return;
    this.#stopped = undefined;
    if (!this.#under?.destroyed) handle.readStart();
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#cancelled) return Promise.resolve(undefined);
    if (this.#waiting) return Promise.reject(new TypeError("Cannot read: a read is pending"));
    const next = this.#unread.shift();
    if (next) this.#unreadBytes -= next.byteLength;
    if (this.#unreadBytes < READ_AHEAD_BYTES && !this.#ended) this.#resume();
    if (next) return Promise.resolve(next);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
  }

  cancel(): Promise<void> {
    // Only stops reading: a `for await … break` before STARTTLS must not kill the
    // connection. Closing it is ByteStream.close()'s job.
    if (!this.#cancelled && !this.#failure) {
      this.#cancelled = true;
      this.#pause();
    }
    this.#endRead();
    return Promise.resolve();
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = this.#socket;
      if (this.#writeFailure) {
        reject(this.#writeFailure);
        return;
      }
      if (socket.destroyed || !socket.writable) {
        reject(new Error("Cannot write: the connection is closed"));
        return;
      }
      this.#pendingWrite = reject;
      // Done when the socket took the chunk and its own buffer is below its high-water mark:
      // a TLS socket may call back before its buffered ciphertext reached the kernel, so
      // `drain` is what tells that the peer reads.
      let flushed = false;
      let drained = socket.write(chunk, (error) => {
        if (error) {
          this.#pendingWrite = undefined;
          reject(error);
          return;
        }
        flushed = true;
        if (drained) {
          this.#pendingWrite = undefined;
          resolve();
        }
      });
      if (!drained) {
        socket.once("drain", () => {
          drained = true;
          if (flushed) {
            this.#pendingWrite = undefined;
            resolve();
          }
        });
      }
    });
  }

  get channel(): ByteChannel {
    return this;
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.read();
        if (this.#cancelled) return; // the stream is closed already
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => this.cancel(),
    }, { highWaterMark: 0 });
  }

  get writable(): WritableStream<Uint8Array> {
    const socket = this.#socket;
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close() {
        return new Promise<void>((resolve) => {
          if (socket.destroyed) {
            resolve();
            return;
          }
          socket.once("close", () => resolve()); // end()'s callback may not come on a reset
          socket.end(() => resolve());
        });
      },
      abort() {
        socket.destroy();
      },
    });
  }

  get locked(): boolean {
    return (this.#readable?.locked ?? false) || (this.#writable?.locked ?? false);
  }

  detach(reason: Error): Uint8Array[] {
    const socket = this.#socket;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    this.#pause();
    const rest = this.#unread;
    this.#unread = [];
    this.#unreadBytes = 0;
    this.#writeFailure = reason;
    if (!this.#failure) {
      this.#cancelled = false;
      this.#fail(reason);
    }
    return rest;
  }

  drain(): void {
    this.#draining = true;
    this.#unread = [];
    this.#unreadBytes = 0;
    this.#resume();
  }
}
