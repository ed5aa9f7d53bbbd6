/**
 * Web streams over a `node:net` socket, detachable for a STARTTLS upgrade. Private.
 *
 * @module
 */

import type * as net from "node:net";
import type { Buffer } from "node:buffer";

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
function readFlow(socket: net.Socket, under: net.Socket | undefined) {
  let stopped: StreamHandle | undefined;
  return {
    pause() {
      socket.pause();
      if (!under || stopped || under.destroyed) return;
      stopped = streamHandle(under);
      stopped?.readStop();
    },
    resume() {
      socket.resume();
      if (!stopped) return;
      const handle = stopped;
      stopped = undefined;
      if (!under?.destroyed) handle.readStart();
    },
  };
}

/** Options of {@linkcode socketStreams}. */
export interface SocketStreamsOptions {
  /**
   * The raw socket under `socket` when `socket` is a `node:tls` socket made over it: reading
   * from it is paused and resumed with `socket`'s (see `readFlow`).
   */
  readonly under?: net.Socket;
}

/** A socket's streams, and the means to take the socket back. */
export interface SocketStreams {
  /** Bytes from the peer; ends when the peer ends or the socket closes, errors on an error. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer; a write resolves once the socket has taken the chunk. */
  readonly writable: WritableStream<Uint8Array>;
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
 * Wraps `socket` in a readable and a writable stream.
 *
 * The readable keeps its own read-ahead queue (the stream's own queue stays empty,
 * highWaterMark 0), so that bytes the consumer has not read can be handed back by
 * `detach()` and reach the TLS layer instead of being lost.
 *
 * @param socket A connected socket, in flowing or paused mode.
 * @param options The raw socket under a TLS socket.
 * @returns The streams.
 */
export function socketStreams(
  socket: net.Socket,
  options: SocketStreamsOptions = {},
): SocketStreams {
  const flow = readFlow(socket, options.under);
  let readController!: ReadableStreamDefaultController<Uint8Array>;
  let writeController!: WritableStreamDefaultController;
  const unread: Uint8Array[] = [];
  let unreadBytes = 0;
  let readPending = false; // the consumer waits in read(): the next chunk goes straight to it
  let ended = false; // the peer sent FIN or the socket closed
  let settled = false; // the readable is closed or errored
  let pendingWrite: ((error: Error) => void) | undefined;
  let draining = false; // closing: what arrives is dropped

  const settle = (error?: unknown) => {
    if (settled) return;
    settled = true;
    if (error === undefined) readController.close();
    else readController.error(error);
  };
  const onData = (chunk: Buffer) => {
    if (draining) return;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (readPending && !settled) {
      readPending = false;
      readController.enqueue(bytes);
      return;
    }
    unread.push(bytes);
    unreadBytes += bytes.byteLength;
    if (unreadBytes >= READ_AHEAD_BYTES) flow.pause();
  };
  const onEnd = () => {
    ended = true;
    if (readPending) settle();
  };
  const onError = (error: Error) => {
    unread.length = 0;
    unreadBytes = 0;
    settle(error);
  };
  const onClose = () => {
    onEnd();
    const closed = new Error("Cannot write: the connection is closed");
    pendingWrite?.(closed);
    writeController.error(closed);
  };
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("error", onError);
  socket.on("close", onClose);

  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      readController = controller;
    },
    pull(controller) {
      const next = unread.shift();
      if (next) {
        unreadBytes -= next.byteLength;
        controller.enqueue(next);
      } else if (ended) {
        settle();
      } else {
        readPending = true;
      }
      if (unreadBytes < READ_AHEAD_BYTES && !ended) flow.resume();
    },
    cancel() {
      // Only stops reading: a `for await … break` before STARTTLS must not kill the
      // connection. Closing it is ByteStream.close()'s job.
      settled = true;
      readPending = false;
      flow.pause();
    },
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      writeController = controller;
    },
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        if (socket.destroyed || !socket.writable) {
          reject(new Error("Cannot write: the connection is closed"));
          return;
        }
        pendingWrite = reject;
        // Done when the socket took the chunk and its own buffer is below its high-water mark:
        // a TLS socket may call back before its buffered ciphertext reached the kernel, so
        // `drain` is what tells that the peer reads.
        let flushed = false;
        let drained = socket.write(chunk, (error) => {
          if (error) {
            pendingWrite = undefined;
            reject(error);
            return;
          }
          flushed = true;
          if (drained) {
            pendingWrite = undefined;
            resolve();
          }
        });
        if (!drained) {
          socket.once("drain", () => {
            drained = true;
            if (flushed) {
              pendingWrite = undefined;
              resolve();
            }
          });
        }
      });
    },
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

  return {
    readable,
    writable,
    detach(reason) {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
      socket.off("close", onClose);
      flow.pause();
      settle(reason);
      writeController.error(reason);
      const rest = unread.splice(0);
      unreadBytes = 0;
      return rest;
    },
    drain() {
      draining = true;
      unread.length = 0;
      unreadBytes = 0;
      flow.resume();
    },
  };
}
