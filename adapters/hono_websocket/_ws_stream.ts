// A WebSocket as the core's ByteStream: one message in = one chunk; one write = one message.
import type { ByteStream, TransportInfo } from "../../src/base/transport.ts";

const encoder = new TextEncoder();

/** Wraps an accepted WebSocket; `highWaterMark` bounds `bufferedAmount` before writes wait. */
export function webSocketStream(
  ws: WebSocket,
  info: TransportInfo,
  highWaterMark: number,
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
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== WebSocket.OPEN) {
        throw new Error("Cannot write: the WebSocket is closed");
      }
      ws.send(decoder.decode(chunk));
      // Backpressure: a client that does not read makes our writes wait, and the session
      // closes it once too much is queued (SessionLimits.maxOutputBytes).
      while (ws.bufferedAmount > highWaterMark && ws.readyState === WebSocket.OPEN) {
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
