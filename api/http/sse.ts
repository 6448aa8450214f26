// Server-Sent Events responses (deployment events, followed logs): the framing is a few lines
// of text, so it is written here rather than taken from a package. The response is hijacked
// from fastify; `gone` aborts when the client leaves; `end()` stops the keep-alive and closes.

import type { FastifyReply, FastifyRequest } from 'fastify';

const KEEPALIVE_MS = 15_000;

export interface SseStream {
  /** One event: `id:` (when given), `event:` and one `data:` line of JSON. */
  send(event: string, data: unknown, id?: number): void;
  /** Aborts when the client disconnects. */
  gone: AbortSignal;
  end(): void;
}

export function startSse(request: FastifyRequest, reply: FastifyReply, comment: string, kind: 'events' | 'logs' = 'events'): SseStream {
  reply.hijack();
  const closed = request.server.loco?.metrics.sseOpened(kind);
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no', // nginx would otherwise buffer the stream
    'x-request-id': request.id,
  });
  raw.write(`: ${comment}\n\n`);
  const gone = new AbortController();
  raw.on('close', () => {
    closed?.();
    gone.abort();
  });
  const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
  return {
    send: (event, data, id) => void raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    gone: gone.signal,
    end() {
      clearInterval(keepalive);
      raw.end();
    },
  };
}
