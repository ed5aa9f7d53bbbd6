// A WebSocket as the core's ByteStream: one message in = one chunk; one write = one message.
import type { ByteStream, TransportInfo } from "../../src/base/transport.ts";
import { StreamError } from "../../src/base/stream_error.ts";
import { websocketFraming } from "../../src/stream/framing.ts";

const encoder = new TextEncoder();

/**
 * What one queued message costs besides its bytes (the chunk object and its queue entry), so
 * that a flood of tiny messages is bounded too.
 */
const MESSAGE_OVERHEAD = 128;

/** Limits of {@linkcode webSocketStream}. */
export interface WebSocketStreamLimits {
  /** Bytes buffered in the socket before writes wait. */
  readonly highWaterMark: number;
  /** Bytes received but not yet read by the core before the connection is refused. */
  readonly maxUnreadBytes: number;
}

/**
 * Wraps an accepted WebSocket.
 *
 * Reading has no backpressure: `Deno.upgradeWebSocket` reads every message as soon as it
 * arrives, and nothing can make it stop. So what the core has not read yet is counted, and a
 * client that gets more than `maxUnreadBytes` ahead of it (one that sends faster than the
 * core's read rate for longer than its burst) gets `<policy-violation/>` (RFC 6120
 * §4.9.3.14) and `<close/>` at once, and the WebSocket is closed: waiting for the core to
 * notice (it may be pausing for its read rate) would let Deno read, and drop, hundreds of MiB
 * more. The core's read then fails with the same error, so it ends the session.
 */
export function webSocketStream(
  ws: WebSocket,
  info: TransportInfo,
  limits: WebSocketStreamLimits,
): ByteStream {
  const decoder = new TextDecoder();
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      ws.addEventListener("message", (e) => {
        if (ended) return;
        const data = e.data;
        controller.enqueue(
          typeof data === "string" ? encoder.encode(data) : new Uint8Array(data as ArrayBuffer),
        );
        // desiredSize is the limit less what the core has not read yet.
        if ((controller.desiredSize ?? 0) >= 0) return;
        ended = true;
        const error = new StreamError(
          "policy-violation",
          `More than "${limits.maxUnreadBytes}" bytes received ahead of the read rate`,
        );
        controller.error(error);
        // RFC 7395 §3.6: the stream error, then <close/>, then the WebSocket close.
        ws.send(websocketFraming.element(error.toElement()));
        ws.send(websocketFraming.close());
        ws.close(1000);
      });
      const end = () => {
        if (ended) return;
        ended = true;
        try {
          controller.close();
        } catch { /* cancelled already */ }
      };
      ws.addEventListener("close", end);
      ws.addEventListener("error", end);
    },
    cancel() {
      ended = true;
    },
  }, {
    highWaterMark: limits.maxUnreadBytes,
    size: (chunk) => chunk.byteLength + MESSAGE_OVERHEAD,
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== WebSocket.OPEN) {
        throw new Error("Cannot write: the WebSocket is closed");
      }
      ws.send(decoder.decode(chunk));
      // Backpressure: a client that does not read makes our writes wait, and the session
      // closes it once too much is queued (SessionLimits.maxOutputBytes).
      while (ws.bufferedAmount > limits.highWaterMark && ws.readyState === WebSocket.OPEN) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  });
  return {
    readable,
    writable,
    info,
    close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        ws.close(1000);
      }
      return Promise.resolve();
    },
  };
}
