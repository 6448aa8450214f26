// Turns what goes wrong on the wire into LocoErrors the CLI can print and map to exit codes:
// problem+json bodies keep the API's code and hint; a connection that never happens is
// 'unreachable.api' (exit 4), never confused with a failed deployment.

import { LocoError } from '../../generator/errors.ts';
import type { Problem } from './types.ts';

const STATUS_CODES: Record<number, string> = {
  400: 'validation.invalid-request',
  401: 'auth.unauthenticated',
  403: 'auth.forbidden',
  404: 'not-found.resource',
  409: 'conflict.resource',
  502: 'upstream.error',
  503: 'unavailable.api',
};

/** The LocoError for an HTTP error response (body already read as text). */
export function errorFromResponse(status: number, bodyText: string, url: string, apiUrl: string): LocoError {
  let problem: Problem = {};
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (parsed && typeof parsed === 'object') problem = parsed as Problem;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall back to the status.
  }
  const code = problem.code ?? STATUS_CODES[status] ?? (status >= 500 ? 'internal.error' : 'request.failed');
  const message = problem.detail ?? problem.title ?? `the API answered ${status} for ${new URL(url).pathname}`;
  const hint = problem.hint ?? defaultHint(code, status, apiUrl, problem.requestId);
  return new LocoError(code, message, hint, {
    ...(problem.problems ? { problems: problem.problems } : {}),
    data: { status, ...(problem.requestId ? { requestId: problem.requestId } : {}) },
  });
}

function defaultHint(code: string, status: number, apiUrl: string, requestId?: string): string {
  if (code.startsWith('auth.') && status === 401) return `log in again: loco login --api ${apiUrl}`;
  if (code === 'auth.forbidden') return 'ask a workspace owner for access, or pick another workspace: loco use <org>/<workspace>';
  if (status >= 500) return `try again; if it persists, report request id ${requestId ?? '(none)'} to the Loco operator`;
  return 'see loco <command> --help';
}

/** The LocoError for a request that got no HTTP answer at all. */
export function unreachable(apiUrl: string, cause: unknown): LocoError {
  const reason = describeCause(cause);
  return new LocoError(
    'unreachable.api',
    `cannot reach the Loco API at ${apiUrl}${reason ? ` (${reason})` : ''}`,
    'start it with `npm start`, or point the CLI at it: LOCO_API_URL=<url> or loco login --api <url>',
    { cause },
  );
}

function describeCause(cause: unknown): string {
  let e: unknown = cause;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return cause instanceof Error ? cause.message : '';
}
