// Server-Sent Events reading. The framing (CRLF, CR or LF line ends, a CRLF split across
// chunks, comments, multi-line data, blank-line dispatch) is eventsource-parser's: a hand
// copy normalised "\r" before knowing whether "\n" followed in the next chunk.

import { createParser } from 'eventsource-parser';

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** An incremental reader: feed it text as it arrives, it returns the messages completed so far. */
export function createSseReader(): { feed(chunk: string): SseMessage[]; end(): SseMessage[] } {
  let out: SseMessage[] = [];
  const parser = createParser({
    onEvent: (m) => out.push({ ...(m.id === undefined ? {} : { id: m.id }), event: m.event ?? 'message', data: m.data }),
  });
  const take = () => {
    const messages = out;
    out = [];
    return messages;
  };
  return {
    feed(chunk) {
      parser.feed(chunk);
      return take();
    },
    // A stream cut before its last blank line: the message is not complete, so it is dropped (as EventSource does).
    end() {
      parser.reset();
      return take();
    },
  };
}

/** Reads an SSE body to its end, yielding each message as it completes. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = createSseReader();
  for await (const chunk of body) yield* reader.feed(decoder.decode(chunk, { stream: true }));
  yield* reader.feed(decoder.decode());
  yield* reader.end();
}
