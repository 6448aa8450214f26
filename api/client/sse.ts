// A small Server-Sent Events reader: the wire format is parsed by a pure function so that the
// framing rules (fields, comments, blank-line dispatch, split chunks) are tested on their own.

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Feeds text into an SSE parser and returns the complete messages plus the unfinished tail,
 * which the caller passes back in with the next chunk.
 */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // comments keep proxies from idling out
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && id === undefined) continue;
    messages.push({ ...(id === undefined ? {} : { id }), event, data: data.join('\n') });
  }
  return { messages, rest };
}

/** Reads an SSE body to its end, yielding each message as it completes. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    yield* messages;
  }
  const { messages } = parseSse(buffer + decoder.decode() + '\n\n');
  yield* messages;
}
