// Server-Sent Events responses (deployment events, followed logs): the framing is a few lines
// of text, so it is written here rather than taken from a package. The response is hijacked
// from fastify; `gone` aborts when the client leaves; `end()` stops the keep-alive and closes.
// Every open stream is in the app's SseRegistry, so a shutdown can end them all with a last
// `reconnect` event (the client reconnects with Last-Event-ID, to another replica).

import type { FastifyReply, FastifyRequest } from 'fastify';

const KEEPALIVE_MS = 15_000;

export interface SseStream {
  /** One event: `id:` (when given), `event:` and one `data:` line of JSON. */
  send(event: string, data: unknown, id?: number): void;
  /** Aborts when the client disconnects. */
  gone: AbortSignal;
  end(): void;
}

/** The open streams of one API process; `endAll` runs when the server closes. */
export class SseRegistry {
  readonly #open = new Set<SseStream>();

  add(stream: SseStream): void {
    this.#open.add(stream);
  }

  delete(stream: SseStream): void {
    this.#open.delete(stream);
  }

  get size(): number {
    return this.#open.size;
  }

  /** Tells every client to reconnect (this process is stopping) and closes its stream. */
  endAll(): void {
    for (const stream of [...this.#open]) {
      stream.send('reconnect', { message: 'the API is shutting down; reconnect with Last-Event-ID', retryMs: 250 });
      stream.end();
    }
  }
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
  const registry = request.server.loco?.streams;
  const stream: SseStream = {
    send: (event, data, id) => {
      if (!raw.writableEnded) raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    gone: gone.signal,
    end() {
      clearInterval(keepalive);
      registry?.delete(stream);
      if (!raw.writableEnded) raw.end();
      // the route's loop waits on `gone`; a stream ended by the server must wake it too
      if (!gone.signal.aborted) gone.abort();
    },
  };
  registry?.add(stream);
  return stream;
}
