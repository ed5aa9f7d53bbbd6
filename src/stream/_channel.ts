/**
 * How a connection reads and writes its transport: through the transport's
 * {@linkcode ByteChannel} when it has one, else through its web streams. Private.
 *
 * @module
 */
import type { ByteChannel, ByteStream } from "../base/transport.ts";

/** A channel the connection holds, and gives back before STARTTLS or at its end. */
export interface HeldChannel extends ByteChannel {
  /** Gives the reading side and the writing side back (before STARTTLS). */
  release(): void;
  /** Gives the writing side back (at the end, once reading was cancelled). */
  releaseWriter(): void;
}

const nothing = () => {};

/**
 * Takes `stream`'s channel, or locks its readable and writable and reads and writes through
 * them.
 *
 * @param stream The transport.
 * @returns The channel.
 */
export function holdChannel(stream: ByteStream): HeldChannel {
  const own = stream.channel;
  if (own) {
    return {
      read: () => own.read(),
      write: (bytes) => own.write(bytes),
      cancel: () => own.cancel(),
      release: nothing,
      releaseWriter: nothing,
    };
  }
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  return {
    read: () => reader.read().then((r) => r.done ? undefined : r.value),
    write: (bytes) => writer.write(bytes),
    cancel: () => reader.cancel(),
    release() {
      reader.releaseLock();
      writer.releaseLock();
    },
    releaseWriter: () => writer.releaseLock(),
  };
}
