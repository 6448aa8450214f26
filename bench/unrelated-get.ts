// Sends a hostile request and, right behind it, an unrelated GET; reports how long the GET took.
// Both run over real HTTP against a listening API, so a blocked event loop shows as a wait.

export interface HostileMeasure {
  hostile: { status: number; body: any };
  unrelated: { status: number };
  /** Milliseconds from sending the GET to its answer. */
  waitedMs: number;
}

export async function measureWhileHostile(baseUrl: string, token: string, postUrl: string, body: unknown): Promise<HostileMeasure> {
  const headers = { authorization: `Bearer ${token}` };
  const payload = JSON.stringify(body);
  const hostile = fetch(postUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: payload });
  // The GET leaves once the hostile body is on its way; the server handles them in turn.
  const started = performance.now();
  const unrelated = await fetch(`${baseUrl}/api/v1/me`, { headers });
  const waitedMs = performance.now() - started;
  await unrelated.arrayBuffer();
  const answer = await hostile;
  return { hostile: { status: answer.status, body: await answer.json() }, unrelated: { status: unrelated.status }, waitedMs };
}
