// The dashboard's session cookie: its name and how to read it from a Cookie header (shared by
// the web plugin that sets it and the authentication hook that accepts it on reads).

export const SESSION_COOKIE = 'loco_session';

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
